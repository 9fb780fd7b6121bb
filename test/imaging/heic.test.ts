import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/errors.js';
import { decodeHeic, decodeHeicHere, HeicError } from '../../src/imaging/heic.js';
import { loadImageInput } from '../../src/imaging/input.js';
import { sniffFormat } from '../../src/imaging/format.js';
import { heicContainer } from './heic-container.js';

// No real HEIC file exists on this machine or in node_modules and no HEVC encoder is
// available offline, so these tests cover the container/limit/error paths of the decoder.
const fakeHevc = Buffer.from([0, 0, 0, 12, 0x26, 0x01, 0xaf, 0x09, 0x40, 0xf3, 0xb8, 0x88, 0x7f, 0x22, 0x01, 0x02]);

test('the hand-built container is recognised as HEIC', () => {
  assert.equal(sniffFormat(heicContainer(64, 64, fakeHevc)), 'heic');
});

test('a HEIC header claiming 20000x20000 is too large, decided before decoding pixels', async () => {
  await assert.rejects(
    decodeHeic(heicContainer(20000, 20000, fakeHevc), { maxPixels: 100_000_000 }),
    (e: unknown) => e instanceof HeicError && e.kind === 'too_large' && /20000x20000/.test(e.message),
  );
  await assert.rejects(loadImageInput(heicContainer(20000, 20000, fakeHevc).toString('base64'), { allowPrivateUrls: true }, 'images[0]'),
    (e: unknown) => e instanceof ApiError && e.code === 'IMAGE_TOO_LARGE' && e.detail.startsWith('images[0]: '));
});

test('a generic HEIF (mif1) holding HEVC goes to the HEIC decoder, limits included', async () => {
  const generic = heicContainer(20000, 20000, fakeHevc, ['mif1', 'mif1', 'miaf']);
  assert.equal(sniffFormat(generic), 'heif');
  await assert.rejects(loadImageInput(generic.toString('base64'), { allowPrivateUrls: true }),
    (e: unknown) => e instanceof ApiError && e.code === 'IMAGE_TOO_LARGE');
  await assert.rejects(loadImageInput(heicContainer(64, 64, fakeHevc, ['mif1', 'mif1']).toString('base64'), { allowPrivateUrls: true }),
    (e: unknown) => e instanceof ApiError && e.code === 'IMAGE_UNREADABLE');
});

test('a HEIC container with a broken bitstream, or truncated, is unreadable (no crash, no hang)', async () => {
  await assert.rejects(decodeHeic(heicContainer(64, 64, fakeHevc), { maxPixels: 100_000_000 }), (e: unknown) => e instanceof HeicError && e.kind === 'unreadable');
  const full = heicContainer(64, 64, fakeHevc);
  for (const cut of [12, 40, full.length - 10]) {
    await assert.rejects(loadImageInput(full.subarray(0, cut).toString('base64'), { allowPrivateUrls: true }),
      (e: unknown) => e instanceof ApiError && e.code === 'IMAGE_UNREADABLE', `cut at ${cut}`);
  }
  // The decoder is still usable after failures.
  await assert.rejects(decodeHeic(full, { maxPixels: 100_000_000 }), HeicError);
});

test('the in-thread decoder applies the same checks as the worker', async () => {
  await assert.rejects(decodeHeicHere(heicContainer(20000, 20000, fakeHevc), { maxPixels: 100_000_000 }), (e: unknown) => e instanceof HeicError && e.kind === 'too_large');
  await assert.rejects(decodeHeicHere(Buffer.from('not heic at all'), { maxPixels: 100_000_000 }), (e: unknown) => e instanceof HeicError && e.kind === 'unreadable');
  // A lower pixel limit is honoured (64x64 = 4096 pixels).
  await assert.rejects(decodeHeic(heicContainer(64, 64, fakeHevc), { maxPixels: 4000 }), (e: unknown) => e instanceof HeicError && e.kind === 'too_large');
});
