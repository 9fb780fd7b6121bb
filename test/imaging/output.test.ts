import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { contentTypeFor, fitAndEncode, outputFormatOf, sniffFormat } from '../../src/imaging/output.js';
import { describeUnsupported } from '../../src/imaging/format.js';

/** A test card whose left half is red and right half blue, to check which part a crop keeps. */
async function halves(width: number, height: number): Promise<Buffer> {
  const left = await sharp({ create: { width: Math.floor(width / 2), height, channels: 3, background: '#ff0000' } }).png().toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#0000ff' } })
    .composite([{ input: left, left: 0, top: 0 }])
    .png()
    .toBuffer();
}

test('fitAndEncode produces exactly the target size in the requested format', async () => {
  const src = await halves(1000, 700);
  const jpg = await fitAndEncode(src, { width: 1184, height: 864 }, 'jpg');
  const mj = await sharp(jpg).metadata();
  assert.deepEqual([mj.format, mj.width, mj.height], ['jpeg', 1184, 864]);
  assert.equal(sniffFormat(jpg), 'jpeg');
  assert.equal(outputFormatOf(jpg), 'jpg');

  const png = await fitAndEncode(src, { width: 768, height: 1344 }, 'png');
  const mp = await sharp(png).metadata();
  assert.deepEqual([mp.format, mp.width, mp.height], ['png', 768, 1344]);
  assert.equal(outputFormatOf(png), 'png');
});

test('cover crop keeps the centre: a landscape card cropped to portrait keeps both halves', async () => {
  const src = await halves(1600, 800);
  const out = await fitAndEncode(src, { width: 400, height: 800 }, 'png');
  const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
  const px = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
  assert.deepEqual(px(10, 400), [255, 0, 0]); // left edge of the centre crop is red
  assert.deepEqual(px(390, 400), [0, 0, 255]); // right edge is blue
});

test('JPEG output flattens transparency onto white; PNG keeps it', async () => {
  const transparent = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
  const jpg = await fitAndEncode(transparent, { width: 32, height: 32 }, 'jpg');
  const { data } = await sharp(jpg).raw().toBuffer({ resolveWithObject: true });
  assert.ok(data[0] > 250 && data[1] > 250 && data[2] > 250, `expected white, got ${data[0]},${data[1]},${data[2]}`);
  const png = await fitAndEncode(transparent, { width: 32, height: 32 }, 'png');
  assert.equal((await sharp(png).metadata()).hasAlpha, true);
});

test('fitAndEncode rejects nonsense sizes', async () => {
  const src = await halves(10, 10);
  await assert.rejects(fitAndEncode(src, { width: 0, height: 10 }, 'jpg'), RangeError);
  await assert.rejects(fitAndEncode(src, { width: 10.5, height: 10 }, 'png'), RangeError);
});

test('contentTypeFor maps the contract formats', () => {
  assert.equal(contentTypeFor('jpg'), 'image/jpeg');
  assert.equal(contentTypeFor('png'), 'image/png');
});

test('sniffFormat recognises every supported encoding sharp can write', async () => {
  const base = sharp({ create: { width: 16, height: 16, channels: 3, background: '#336699' } });
  const cases: [string, Buffer][] = [
    ['jpeg', await base.clone().jpeg().toBuffer()],
    ['png', await base.clone().png().toBuffer()],
    ['webp', await base.clone().webp().toBuffer()],
    ['avif', await base.clone().avif({ effort: 0 }).toBuffer()],
    ['tiff', await base.clone().tiff().toBuffer()],
    ['gif', await base.clone().gif().toBuffer()],
  ];
  for (const [fmt, buf] of cases) assert.equal(sniffFormat(buf), fmt);
  assert.equal(outputFormatOf(cases[2][1]), null);
});

test('sniffFormat tells HEIC from generic HEIF from AVIF by ftyp brands, and refuses other files', () => {
  const ftyp = (major: string, ...compat: string[]) => {
    const size = 16 + compat.length * 4;
    const b = Buffer.alloc(size + 8);
    b.writeUInt32BE(size, 0);
    b.write('ftyp', 4, 'latin1');
    b.write(major, 8, 'latin1');
    compat.forEach((c, i) => b.write(c, 16 + i * 4, 'latin1'));
    return b;
  };
  assert.equal(sniffFormat(ftyp('heic', 'mif1', 'heic')), 'heic');
  assert.equal(sniffFormat(ftyp('mif1', 'mif1', 'heic')), 'heic');
  assert.equal(sniffFormat(ftyp('mif1', 'mif1', 'miaf')), 'heif');
  assert.equal(sniffFormat(ftyp('mif1', 'avif', 'miaf')), 'avif');
  assert.equal(sniffFormat(ftyp('isom', 'iso2', 'mp41')), null); // an MP4 video
  assert.equal(sniffFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>')), null);
  assert.equal(describeUnsupported(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>')), 'SVG');
  assert.equal(describeUnsupported(Buffer.from('%PDF-1.7 ...')), 'PDF');
  assert.equal(describeUnsupported(Buffer.from('BM\x00\x00\x00\x00', 'latin1')), 'BMP');
  assert.equal(sniffFormat(Buffer.alloc(2)), null);
});
