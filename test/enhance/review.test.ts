// Adversarial review of local enhance: degenerate and unusual inputs still give the 2K size of
// their snapped aspect (decisions #9), decode to 3-channel sRGB, and never crash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { decodeRgb, enhanceImage } from '../../src/enhance/pipeline.js';

const mk = (w: number, h: number, bg: string | sharp.RGBA = '#808080', channels: 3 | 4 = 3) =>
  sharp({ create: { width: w, height: h, channels, background: bg } });

test('tiny, strip-shaped, black and white inputs: one output each, at the 2K size of the snapped aspect', async () => {
  const cases: Array<[string, Buffer, [number, number]]> = [
    ['1x1', await mk(1, 1).png().toBuffer(), [2048, 2048]],
    ['2x1', await mk(2, 1).png().toBuffer(), [2688, 1536]],
    ['4000x50', await mk(4000, 50).jpeg().toBuffer(), [2688, 1536]],
    ['1x4096', await mk(1, 4096).png().toBuffer(), [1536, 2688]],
    ['black', await mk(64, 48, '#000000').jpeg().toBuffer(), [2368, 1728]],
    ['white', await mk(48, 64, '#ffffff').jpeg().toBuffer(), [1728, 2368]],
  ];
  for (const [name, input, [w, h]] of cases) {
    const [out] = await enhanceImage(input, { variants: 1, format: 'jpg', srMaxPixels: 60_000 });
    assert.deepEqual([out.width, out.height], [w, h], name);
    const m = await sharp(out.data).metadata();
    assert.deepEqual([m.format, m.width, m.height], ['jpeg', w, h], name);
    const { channels } = await sharp(out.data).stats();
    if (name === 'black') assert.ok(channels.every((c) => c.mean < 8), 'black stays black');
    if (name === 'white') assert.ok(channels.every((c) => c.mean > 247), 'white stays white');
  }
});

test('grey, grey+alpha, CMYK, 16-bit and EXIF-rotated inputs decode to oriented 3-channel RGB', async () => {
  const base = mk(60, 40, { r: 200, g: 100, b: 50, alpha: 1 });
  const cases: Array<[string, Buffer, [number, number]]> = [
    ['grey', await base.clone().toColourspace('b-w').jpeg().toBuffer(), [60, 40]],
    ['grey+alpha', await base.clone().toColourspace('b-w').ensureAlpha(0.5).png().toBuffer(), [60, 40]],
    ['cmyk', await base.clone().toColourspace('cmyk').jpeg().toBuffer(), [60, 40]],
    ['rgb16', await base.clone().toColourspace('rgb16').png().toBuffer(), [60, 40]],
    ['orientation 6', await base.clone().withMetadata({ orientation: 6 }).jpeg().toBuffer(), [40, 60]],
  ];
  for (const [name, input, [w, h]] of cases) {
    const img = await decodeRgb(input);
    assert.deepEqual([img.width, img.height, img.data.length], [w, h, w * h * 3], name);
  }
  // Half-transparent grey over the white background the output gets (JPEG has no alpha).
  const ga = await decodeRgb(cases[1][1]);
  const grey = (await decodeRgb(cases[0][1])).data[0];
  assert.ok(Math.abs(ga.data[0] - (grey + 255) / 2) <= 3, `${ga.data[0]} vs grey ${grey}`);
});
