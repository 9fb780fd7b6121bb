import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pngClaiming } from './png-chunks.js';
import sharp from 'sharp';
import { ApiError } from '../../src/errors.js';
import { loadImageInput, MAX_INPUT_BYTES, type ImageInputOptions } from '../../src/imaging/input.js';
import { maxBase64Length, parseImageInputString } from '../../src/imaging/input-parse.js';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';

const OPEN: ImageInputOptions = { allowPrivateUrls: true };

async function solid(width: number, height: number, colour = '#4080c0'): Promise<sharp.Sharp> {
  return sharp({ create: { width, height, channels: 3, background: colour } });
}

async function expectApiError(p: Promise<unknown>, code: string, detailPattern?: RegExp): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(err.code, code, err.detail);
    if (detailPattern) assert.match(err.detail, detailPattern);
    return err;
  }
  assert.fail(`expected ${code}`);
}


/** Rewrites the SOF0 dimensions of a baseline JPEG. */
function patchJpegSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
  }
  throw new Error('no SOF marker');
}

let srv: LoopbackServer;
let pngBytes: Buffer;
before(async () => {
  pngBytes = await (await solid(40, 30)).png().toBuffer();
  srv = await startLoopbackServer((req, res) => {
    if (req.url === '/photo.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(pngBytes);
    } else if (req.url === '/huge.bin') {
      res.writeHead(200);
      res.end(Buffer.alloc(4096, 7));
    } else if (req.url === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><html><body>not an image</body></html>');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
});
after(() => srv.close());

test('raw base64 PNG within limits is kept byte for byte', async () => {
  const img = await loadImageInput(pngBytes.toString('base64'), OPEN, 'images[0]');
  assert.equal(img.format, 'png');
  assert.equal(img.encoding, 'png');
  assert.equal(img.source, 'base64');
  assert.deepEqual([img.width, img.height], [40, 30]);
  assert.deepEqual(img.data, pngBytes);
});

test('data: URIs and URL-safe/line-wrapped base64 are accepted', async () => {
  const jpeg = await (await solid(50, 20)).jpeg().toBuffer();
  const img = await loadImageInput(`data:image/jpeg;base64,${jpeg.toString('base64')}`, OPEN);
  assert.deepEqual([img.format, img.source, img.width, img.height], ['jpeg', 'data_uri', 50, 20]);
  // The declared media type does not matter, the bytes do.
  const mislabelled = await loadImageInput(`data:image/png;base64,${jpeg.toString('base64')}`, OPEN);
  assert.equal(mislabelled.format, 'jpeg');
  const wrapped = jpeg.toString('base64').replace(/(.{76})/g, '$1\r\n');
  assert.equal((await loadImageInput(wrapped, OPEN)).format, 'jpeg');
  assert.equal((await loadImageInput(jpeg.toString('base64url'), OPEN)).format, 'jpeg');
});

test('http URL on loopback: fetched when private addresses are allowed, refused otherwise', async () => {
  const img = await loadImageInput(`${srv.base}/photo.png`, OPEN, 'images[2]');
  assert.deepEqual([img.format, img.source, img.width, img.height], ['png', 'url', 40, 30]);
  const err = await expectApiError(loadImageInput(`${srv.base}/photo.png`, { allowPrivateUrls: false }, 'images[2]'), 'IMAGE_FETCH_FAILED');
  assert.match(err.detail, /^images\[2\]: /);
  assert.match(err.detail, /private or local network/);
  await expectApiError(loadImageInput(`${srv.base}/missing.png`, OPEN, 'image'), 'IMAGE_FETCH_FAILED', /404/);
  await expectApiError(loadImageInput(`${srv.base}/huge.bin`, { allowPrivateUrls: true, maxBytes: 1000 }), 'IMAGE_TOO_LARGE', /larger than/);
  await expectApiError(loadImageInput(`${srv.base}/page.html`, OPEN), 'IMAGE_UNREADABLE', /HTML page/);
  await expectApiError(loadImageInput('file:///etc/passwd', OPEN), 'IMAGE_FETCH_FAILED', /http and https/);
});

test('EXIF orientation 6 is applied: width and height swap', async () => {
  const rotatedJpeg = await (await solid(60, 20)).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  assert.equal((await sharp(rotatedJpeg).metadata()).orientation, 6);
  const img = await loadImageInput(rotatedJpeg.toString('base64'), OPEN);
  assert.deepEqual([img.width, img.height], [20, 60]);
  const meta = await sharp(img.data).metadata();
  assert.deepEqual([meta.width, meta.height], [20, 60]);
  assert.ok(!meta.orientation || meta.orientation === 1);
});

test('a 4097 px image is resized so its longest side is 4096', async () => {
  const wide = await (await solid(4097, 300)).png().toBuffer();
  const img = await loadImageInput(wide.toString('base64'), OPEN);
  assert.equal(img.width, 4096);
  assert.ok(img.height === 300 || img.height === 299, String(img.height));
  const meta = await sharp(img.data).metadata();
  assert.deepEqual([meta.width, meta.height], [img.width, img.height]);
  const tall = await (await solid(200, 4097)).jpeg().toBuffer();
  assert.equal((await loadImageInput(tall.toString('base64'), OPEN)).height, 4096);
});

test('headers claiming huge dimensions are IMAGE_TOO_LARGE without decoding', async () => {
  // 20000 x 20000 = 400 MP: decoding would need 1.2 GB; the header alone must decide.
  await expectApiError(loadImageInput(pngClaiming(20000, 20000).toString('base64'), OPEN, 'images[1]'), 'IMAGE_TOO_LARGE', /^images\[1\]: .*20000x20000.*100 megapixel/);
  const jpeg = await (await solid(16, 16)).jpeg().toBuffer();
  await expectApiError(loadImageInput(patchJpegSize(jpeg, 65000, 65000).toString('base64'), OPEN), 'IMAGE_TOO_LARGE');
  // Just under the limit by header, but the data is missing: unreadable, not too large.
  await expectApiError(loadImageInput(pngClaiming(10000, 9000).toString('base64'), OPEN), 'IMAGE_UNREADABLE');
});

test('decoded size over 25 MB is refused from the base64 length alone', async () => {
  const oversized = 'A'.repeat(maxBase64Length(MAX_INPUT_BYTES) + 4);
  await expectApiError(loadImageInput(oversized, OPEN, 'image'), 'IMAGE_TOO_LARGE', /25 MB/);
  // The pure parser says the same without touching a decoder.
  const parsed = parseImageInputString(oversized, MAX_INPUT_BYTES);
  assert.equal(parsed.kind, 'error');
  // Exactly at a small limit passes the size check; one byte more fails.
  const small = Buffer.alloc(300, 1);
  assert.equal(parseImageInputString(small.toString('base64'), 300).kind, 'bytes');
  assert.equal(parseImageInputString(Buffer.alloc(301, 1).toString('base64'), 300).kind, 'error');
});

test('corrupt, truncated, non-image and malformed inputs are IMAGE_UNREADABLE', async () => {
  const noisy = await sharp(Buffer.from(Array.from({ length: 200 * 200 * 3 }, (_, i) => (i * 7919) % 251)), { raw: { width: 200, height: 200, channels: 3 } }).jpeg().toBuffer();
  const cases: [string, string, RegExp?][] = [
    ['random bytes', Buffer.from('definitely not an image, just text').toString('base64'), /not an image/],
    ['truncated JPEG', noisy.subarray(0, Math.floor(noisy.length / 2)).toString('base64'), /corrupt or truncated/],
    ['PNG signature then garbage', Buffer.concat([pngBytes.subarray(0, 8), Buffer.alloc(64, 0xab)]).toString('base64')],
    ['JPEG marker only', Buffer.from([0xff, 0xd8, 0xff, 0xe0]).toString('base64')],
    ['bad base64', 'this is not base64!!', /base64/],
    ['empty', '', /empty/],
    ['non-base64 data URI', 'data:image/png,abc', /base64/],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>').toString('base64'), /SVG/],
  ];
  for (const [name, input, pattern] of cases) {
    const err = await expectApiError(loadImageInput(input, OPEN, 'images[3]'), 'IMAGE_UNREADABLE', pattern);
    assert.match(err.detail, /^images\[3\]: /, name);
  }
});

test('WebP, AVIF, TIFF and GIF inputs are decoded and re-encoded as JPEG', async () => {
  const base = await solid(64, 48, '#c04020');
  for (const [fmt, buf] of [
    ['webp', await base.clone().webp().toBuffer()],
    ['avif', await base.clone().avif({ effort: 0 }).toBuffer()],
    ['tiff', await base.clone().tiff().toBuffer()],
    ['gif', await base.clone().gif().toBuffer()],
  ] as const) {
    const img = await loadImageInput(buf.toString('base64'), OPEN);
    assert.equal(img.format, fmt);
    assert.equal(img.encoding, 'jpeg');
    const meta = await sharp(img.data).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 64, 48], fmt);
  }
});

test('animated GIF: the first frame is used, at the frame size', async () => {
  const frame = (c: string) => sharp({ create: { width: 40, height: 30, channels: 3, background: c } }).png().toBuffer();
  const gif = await sharp([await frame('#ff0000'), await frame('#00ff00')], { join: { animated: true } }).gif().toBuffer();
  assert.equal((await sharp(gif).metadata()).pages, 2);
  const img = await loadImageInput(gif.toString('base64'), OPEN);
  assert.deepEqual([img.width, img.height], [40, 30]);
  const { data } = await sharp(img.data).raw().toBuffer({ resolveWithObject: true });
  assert.ok(data[0] > 200 && data[1] < 60, `first frame should be red, got ${data[0]},${data[1]},${data[2]}`);
});

test('transparent and 16-bit images: alpha kept as PNG, 16-bit normalised to 8-bit', async () => {
  const rgba = await sharp({ create: { width: 30, height: 30, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } }).webp({ lossless: true }).toBuffer();
  const a = await loadImageInput(rgba.toString('base64'), OPEN);
  assert.equal(a.encoding, 'png');
  assert.equal((await sharp(a.data).metadata()).hasAlpha, true);
  const deep = await (await solid(30, 30)).toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(deep).metadata()).depth, 'ushort');
  const d = await loadImageInput(deep.toString('base64'), OPEN);
  assert.equal((await sharp(d.data).metadata()).depth, 'uchar');
});
