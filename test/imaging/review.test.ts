// Adversarial review of image inputs: unusual but legitimate files, and one hostile file
// must not spoil other users' uploads.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { ApiError } from '../../src/errors.js';
import { decodeHeic, HeicError } from '../../src/imaging/heic.js';
import { stopHeicWorker } from '../../src/imaging/heic-pool.js';
import { normaliseImage } from '../../src/imaging/input.js';
import { heicContainer } from './heic-container.js';

const fakeHevc = Buffer.from([0, 0, 0, 12, 0x26, 0x01, 0xaf, 0x09, 0x40, 0xf3, 0xb8, 0x88, 0x7f, 0x22, 0x01, 0x02]);

after(() => stopHeicWorker());

test('a HEIC decode that times out fails alone: decodes queued behind it on the same thread still get their own answer', async () => {
  await stopHeicWorker(); // a fresh thread: its start-up alone outlasts a 1 ms budget
  const stuck = decodeHeic(heicContainer(64, 64, fakeHevc), { maxPixels: 100_000_000, timeoutMs: 1 });
  // Another user's file, queued behind it: its real answer is "too large", never "decoder failed".
  const queued = decodeHeic(heicContainer(20000, 20000, fakeHevc), { maxPixels: 100_000_000 });
  let afterTimeout: Promise<unknown> | undefined;
  queued.catch(() => undefined); // asserted below; avoid an unhandled rejection meanwhile
  await assert.rejects(
    stuck.catch((e) => {
      // Sent while the timed-out thread is still being torn down.
      afterTimeout = decodeHeic(heicContainer(30000, 30000, fakeHevc), { maxPixels: 100_000_000 });
      afterTimeout.catch(() => undefined);
      throw e;
    }),
    (e: unknown) => e instanceof HeicError && /too long/.test(e.message),
  );
  await assert.rejects(queued, (e: unknown) => e instanceof HeicError && e.kind === 'too_large' && /20000x20000/.test(e.message));
  await assert.rejects(afterTimeout!, (e: unknown) => e instanceof HeicError && e.kind === 'too_large' && /30000x30000/.test(e.message));
  // The decoder still works afterwards.
  await assert.rejects(decodeHeic(heicContainer(64, 64, fakeHevc), { maxPixels: 4000 }), (e: unknown) => e instanceof HeicError && e.kind === 'too_large');
});

const face = () => sharp(new URL('../../../test/fixtures/photos/caltech_p06_0100.jpg', import.meta.url).pathname);

test('unusual encodings normalise to 8-bit sRGB with the right size (CMYK, grey 16-bit, palette, alpha 16-bit)', async () => {
  const cases: Array<[string, Buffer, 'jpeg' | 'png']> = [
    ['cmyk jpeg', await face().resize(120).toColourspace('cmyk').jpeg().toBuffer(), 'jpeg'],
    ['grey16 png', await face().resize(120).toColourspace('grey16').png().toBuffer(), 'jpeg'],
    ['palette png', await face().resize(120).png({ palette: true }).toBuffer(), 'png'],
    ['rgba16 png', await face().resize(120).ensureAlpha(0.5).toColourspace('rgb16').png().toBuffer(), 'png'],
    ['progressive jpeg', await face().resize(120).jpeg({ progressive: true }).toBuffer(), 'jpeg'],
  ];
  const { info } = await face().resize(120).toBuffer({ resolveWithObject: true });
  for (const [name, buf, encoding] of cases) {
    const out = await normaliseImage(buf, {});
    assert.equal(out.encoding, encoding, name);
    const m = await sharp(out.data).metadata();
    assert.deepEqual([m.width, m.height, m.depth], [120, info.height, 'uchar'], name);
    assert.ok(m.space === 'srgb' || m.space === 'b-w', `${name}: ${m.space}`);
  }
  // CMYK red stays red (no inverted Adobe CMYK).
  const red = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#ff0000' } }).toColourspace('cmyk').jpeg().toBuffer();
  const { channels } = await sharp((await normaliseImage(red, {})).data).stats();
  assert.ok(channels[0].mean > 200 && channels[1].mean < 40 && channels[2].mean < 60, channels.map((c) => c.mean).join(','));
});

test('extreme sizes: 1x1 is accepted, 50000x3 is shrunk to 4096 wide without a zero side, rotated strips swap sides', async () => {
  const mk = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#808080' } });
  const one = await normaliseImage(await mk(1, 1).png().toBuffer(), {});
  assert.deepEqual([one.width, one.height], [1, 1]);
  const strip = await normaliseImage(await mk(50000, 3).png().toBuffer(), {});
  assert.deepEqual([strip.width, strip.height], [4096, 1]);
  const m = await sharp(strip.data).metadata();
  assert.deepEqual([m.width, m.height], [4096, 1]);
  const rotated = await normaliseImage(await mk(5000, 100).withMetadata({ orientation: 6 }).jpeg().toBuffer(), {});
  assert.deepEqual([rotated.width, rotated.height], [82, 4096]);
});

test('animated WebP and multi-page TIFF: first page only, at the page size', async () => {
  const red = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#ff0000' } }).png().toBuffer();
  const blue = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#0000ff' } }).png().toBuffer();
  for (const enc of ['webp', 'tiff'] as const) {
    const joined = sharp([red, blue], { join: { animated: true } });
    const buf = await (enc === 'webp' ? joined.webp({ lossless: true }) : joined.tiff()).toBuffer();
    const out = await normaliseImage(buf, {});
    assert.deepEqual([out.width, out.height], [40, 30], enc);
    const { channels } = await sharp(out.data).stats();
    assert.ok(channels[0].mean > 200 && channels[2].mean < 60, `${enc}: first page is red`);
  }
});

test('truncated files of every format are IMAGE_UNREADABLE; trailing bytes after a complete file are tolerated', async () => {
  const src = face().resize(200);
  const files = {
    jpeg: await src.clone().jpeg().toBuffer(),
    progressive: await src.clone().jpeg({ progressive: true }).toBuffer(),
    png: await src.clone().png().toBuffer(),
    webp: await src.clone().webp().toBuffer(),
    gif: await src.clone().gif().toBuffer(),
    tiff: await src.clone().tiff().toBuffer(),
  };
  for (const [name, buf] of Object.entries(files)) {
    await assert.rejects(normaliseImage(buf.subarray(0, Math.floor(buf.length * 0.9)), {}), (e: unknown) => e instanceof ApiError && e.code === 'IMAGE_UNREADABLE', name);
    const padded = await normaliseImage(Buffer.concat([buf, Buffer.alloc(500, 7)]), {});
    assert.equal(padded.width, 200, name);
  }
});
