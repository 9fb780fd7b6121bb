// End-to-end local enhancement on real photos (ESRGAN on wasm included). Inputs are shrunk
// first so each run stays around a second or two of model time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ApiError } from '../../src/errors.js';
import { enhanceImage, gentlerVariant } from '../../src/enhance/pipeline.js';
import { enhanceTasks } from '../../src/enhance/tasks.js';

// dist/test/enhance → test/fixtures/photos in the source tree.
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/photos');
const photo = (name: string) => readFileSync(path.join(FIXTURES, name));

async function small(name: string, width: number, height: number): Promise<Buffer> {
  return sharp(photo(name)).resize(width, height, { fit: 'cover' }).jpeg({ quality: 92 }).toBuffer();
}

async function meanLuma(img: Buffer): Promise<number> {
  const { channels } = await sharp(img).stats();
  return 0.299 * channels[0].mean + 0.587 * channels[1].mean + 0.114 * channels[2].mean;
}

async function meanAbsDiff(a: Buffer, b: Buffer): Promise<number> {
  const [ra, rb] = await Promise.all([a, b].map((x) => sharp(x).resize(256, 256, { fit: 'fill' }).raw().toBuffer()));
  let s = 0;
  for (let i = 0; i < ra.length; i++) s += Math.abs(ra[i] - rb[i]);
  return s / ra.length;
}

const isJpeg = (b: Buffer) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const isPng = (b: Buffer) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

test('square photo → two distinct 2048×2048 JPEG variants', async () => {
  const input = await small('london_001_neutral.jpg', 160, 160);
  const outs = await enhanceImage(input, { variants: 2, format: 'jpg' });
  assert.deepEqual(outs.map((o) => o.label), ['natural', 'strong']);
  for (const o of outs) {
    assert.ok(isJpeg(o.data));
    assert.deepEqual([o.width, o.height], [2048, 2048]);
    const meta = await sharp(o.data).metadata();
    assert.deepEqual([meta.width, meta.height, meta.format], [2048, 2048, 'jpeg']);
  }
  const diff = await meanAbsDiff(outs[0].data, outs[1].data);
  assert.ok(diff > 0.5, `variants differ by only ${diff}`);
});

test('16:9 photo → 2688×1536 PNG, 3:4 photo → 1728×2368', async () => {
  const wide = await enhanceImage(await small('caltech_p06_0100.jpg', 224, 126), { variants: 1, format: 'png' });
  assert.ok(isPng(wide[0].data));
  const wm = await sharp(wide[0].data).metadata();
  assert.deepEqual([wm.width, wm.height, wm.format], [2688, 1536, 'png']);

  const tall = await enhanceImage(await small('caltech_p06_0100.jpg', 120, 160), { variants: 1, format: 'jpg' });
  const tm = await sharp(tall[0].data).metadata();
  assert.deepEqual([tm.width, tm.height], [1728, 2368]);
});

test('prompt intents move the output in the asked direction', async () => {
  const input = await small('london_001_neutral.jpg', 128, 128);
  const run = async (prompt?: string) => (await enhanceImage(input, { variants: 1, format: 'jpg', prompt }))[0].data;
  const [plain, brighter, darker, mono] = [await run(), await run('brighter'), await run('make it darker'), await run('black and white')];
  const [l0, lb, ld] = await Promise.all([meanLuma(plain), meanLuma(brighter), meanLuma(darker)]);
  assert.ok(lb > l0 + 3, `brighter ${lb} vs ${l0}`);
  assert.ok(ld < l0 - 3, `darker ${ld} vs ${l0}`);
  // Black and white: the channels agree (JPEG rounding aside), unlike the colour output.
  const { channels } = await sharp(mono).stats();
  assert.ok(Math.abs(channels[0].mean - channels[2].mean) < 1.5, JSON.stringify(channels.map((c) => c.mean)));
  const colour = (await sharp(plain).stats()).channels;
  assert.ok(Math.abs(colour[0].mean - colour[2].mean) > 3);
});

test('a corrupt image is a 400 IMAGE_UNREADABLE', async () => {
  const garbage = Buffer.from('this is not an image at all, just bytes'.repeat(10));
  const truncated = photo('london_001_neutral.jpg').subarray(0, 200);
  for (const bad of [garbage, truncated, Buffer.alloc(0)]) {
    await assert.rejects(enhanceImage(bad, { variants: 1, format: 'jpg' }), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'IMAGE_UNREADABLE');
      return true;
    });
  }
});

test('gentler variant ladder: strong → natural, minimal → null', async () => {
  const input = await small('london_001_neutral.jpg', 96, 96);
  assert.equal(await gentlerVariant(input, { label: 'minimal', format: 'jpg' }), null);
  const g = await gentlerVariant(input, { label: 'strong', format: 'jpg' });
  assert.ok(g);
  assert.equal(g.label, 'natural');
  assert.deepEqual([g.width, g.height], [2048, 2048]);
});

test('worker task handler returns transferable outputs', async () => {
  const input = await small('london_001_neutral.jpg', 96, 96);
  const { result, transfer } = await enhanceTasks.enhance({ input: new Uint8Array(input), variants: 1, format: 'png' });
  assert.equal(result.length, 1);
  assert.ok(result[0].data instanceof Uint8Array);
  assert.equal(transfer?.length, 1);
  assert.equal(result[0].data.buffer, transfer![0]);
  assert.ok(isPng(Buffer.from(result[0].data)));
  const bottom = await enhanceTasks['enhance.gentler']({ input: new Uint8Array(input), label: 'minimal', format: 'jpg' });
  assert.equal(bottom.result, null);
});

test('skin-tone fallback: the tone-free rung restores an underexposed photo\'s detail but leaves its tone, natural brightens it', async () => {
  const dark = await sharp(photo('london_061_portrait.jpg')).resize(96, 96).linear(0.35, 0).jpeg({ quality: 92 }).toBuffer();
  const [natural] = await enhanceImage(dark, { variants: 1, format: 'png' });
  assert.equal(natural.exposureFix, true);
  const faithful = await gentlerVariant(dark, { label: 'natural', drift: 'skin', format: 'png' });
  assert.equal(faithful?.label, 'faithful');
  assert.equal(faithful?.exposureFix, false);
  const l0 = await meanLuma(dark), ln = await meanLuma(natural.data), lf = await meanLuma(faithful!.data);
  assert.ok(ln > l0 * 2, `natural ${ln} vs input ${l0}`);
  assert.ok(Math.abs(lf - l0) < 3, `faithful ${lf} vs input ${l0}`);
});
