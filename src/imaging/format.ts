// Image format detection from magic bytes. Pure. We decide the format ourselves rather than
// letting sharp guess, so formats we do not accept (SVG, PDF, BMP, ...) never reach a decoder.

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'heic' | 'heif' | 'tiff' | 'gif';

export const SUPPORTED_FORMATS_TEXT = 'JPEG, PNG, WebP, AVIF, HEIC/HEIF, TIFF or GIF';

const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_GENERIC_BRANDS = new Set(['mif1', 'msf1', 'mif2', 'miaf']);

function ascii(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end && i < buf.length; i++) s += String.fromCharCode(buf[i]);
  return s;
}

/** Major + compatible brands of an ISO-BMFF `ftyp` box, or null if there is none. */
export function ftypBrands(buf: Uint8Array): string[] | null {
  if (buf.length < 16 || ascii(buf, 4, 8) !== 'ftyp') return null;
  const size = ((buf[0] << 24) >>> 0) + (buf[1] << 16) + (buf[2] << 8) + buf[3];
  const end = Math.min(buf.length, size >= 16 ? size : 16, 4096);
  const brands = [ascii(buf, 8, 12)];
  for (let i = 16; i + 4 <= end; i += 4) brands.push(ascii(buf, i, i + 4));
  return brands;
}

function sniffIsoBmff(buf: Uint8Array): ImageFormat | null {
  const brands = ftypBrands(buf);
  if (!brands) return null;
  const [major] = brands;
  if (AVIF_BRANDS.has(major)) return 'avif';
  if (HEVC_BRANDS.has(major)) return 'heic';
  const compat = brands.slice(1);
  if (compat.some((b) => AVIF_BRANDS.has(b))) return 'avif';
  if (compat.some((b) => HEVC_BRANDS.has(b))) return 'heic';
  if (HEIF_GENERIC_BRANDS.has(major) || compat.some((b) => HEIF_GENERIC_BRANDS.has(b))) return 'heif';
  return null; // e.g. an MP4 video
}

/** The supported image format of `buf`, or null when it is something else. */
export function sniffFormat(buf: Uint8Array): ImageFormat | null {
  if (buf.length < 4) return null;
  if (buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf[0] === 0x89 && ascii(buf, 1, 4) === 'PNG') return 'png';
  if (ascii(buf, 0, 4) === 'GIF8') return 'gif';
  if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 12) === 'WEBP') return 'webp';
  if ((buf[0] === 0x49 && buf[1] === 0x49 && buf[2] === 0x2a && buf[3] === 0) ||
      (buf[0] === 0x4d && buf[1] === 0x4d && buf[2] === 0 && buf[3] === 0x2a)) return 'tiff';
  return sniffIsoBmff(buf);
}

/** A human name for a recognisable but unsupported file, for error messages. */
export function describeUnsupported(buf: Uint8Array): string | null {
  const head = ascii(buf, 0, 512).trimStart().toLowerCase();
  if (head.startsWith('bm')) return 'BMP';
  if (head.startsWith('%pdf')) return 'PDF';
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'SVG';
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'an HTML page';
  if (buf[0] === 0 && buf[1] === 0 && buf[2] === 1 && buf[3] === 0) return 'ICO';
  if (head.startsWith('8bps')) return 'PSD';
  if ((buf[0] === 0xff && buf[1] === 0x0a) || ascii(buf, 4, 8) === 'JXL ') return 'JPEG XL';
  if (ascii(buf, 4, 8) === 'ftyp') return 'a video or unsupported ISO media file';
  if (head.startsWith('{') || head.startsWith('[')) return 'JSON text';
  return null;
}

export function mimeFor(format: ImageFormat): string {
  return format === 'jpeg' ? 'image/jpeg' : `image/${format}`;
}
