// Image inputs of every endpoint (decisions #10): raw base64, a data: URI or an http(s) URL,
// turned into bytes every other component can trust: a supported format, within the byte and
// pixel limits, EXIF orientation applied, longest side at most 4096, JPEG or PNG.
// Limits are enforced before the expensive step they protect: base64 length before
// decoding it, header dimensions before decoding pixels.
import sharp from 'sharp';
import type { LookupAddress } from 'node:dns';
import { ApiError } from '../errors.js';
import { describeUrl, FetchError, formatBytes, safeFetch } from './fetch.js';
import { describeUnsupported, sniffFormat, SUPPORTED_FORMATS_TEXT, type ImageFormat } from './format.js';
import { decodeHeic, HeicError, type DecodedRgba } from './heic.js';
import { parseImageInputString, type ParsedInput } from './input-parse.js';
import { stripJpegMetadata, stripPngMetadata } from './metadata.js';

export { parseImageInputString, type ParsedInput } from './input-parse.js';

export const MAX_INPUT_BYTES = 25 * 1024 * 1024;
export const MAX_INPUT_PIXELS = 100_000_000;
export const MAX_INPUT_SIDE = 4096;
export const FETCH_TIMEOUT_MS = 20_000;
export const FETCH_MAX_REDIRECTS = 3;

export interface ImageInputOptions {
  /** Let URLs reach private/loopback addresses (operator setting; tests and local setups). */
  allowPrivateUrls: boolean;
  fetchTimeoutMs?: number;
  maxRedirects?: number;
  maxBytes?: number;
  maxPixels?: number;
  maxSide?: number;
  /** DNS resolver override (tests). */
  resolve?: (host: string) => Promise<LookupAddress[]>;
  /** Bytes of a URL this server holds itself (a local upload), or null to fetch it as usual. */
  resolveUpload?: (url: string, field: string) => Promise<Buffer | null>;
}

export interface LoadedImage {
  /** Normalised bytes: orientation applied, longest side ≤ maxSide, JPEG or PNG, no EXIF/XMP/IPTC/text metadata. */
  data: Buffer;
  /** Size of `data` (after orientation and resizing). */
  width: number;
  height: number;
  /** Format of the source as received. */
  format: ImageFormat;
  /** Encoding of `data`: PNG when the image has transparency or was a lossless PNG kept as is. */
  encoding: 'jpeg' | 'png';
  /** Where the bytes came from. */
  source: 'base64' | 'data_uri' | 'url';
}

/** JPEG quality of re-encoded inputs: high, since these feed identity models and base models. */
const INPUT_JPEG_QUALITY = 95;

const unreadable = (field: string, why: string) => new ApiError(400, 'IMAGE_UNREADABLE', `${field}: ${why}`);
const tooLarge = (field: string, why: string) => new ApiError(400, 'IMAGE_TOO_LARGE', `${field}: ${why}`);
const fetchFailed = (field: string, why: string) => new ApiError(400, 'IMAGE_FETCH_FAILED', `${field}: ${why}`);

/**
 * Loads one image input. Throws ApiError 400 with IMAGE_UNREADABLE (not an image, corrupt,
 * unsupported format, bad base64), IMAGE_TOO_LARGE (bytes or pixels) or IMAGE_FETCH_FAILED
 * (URL problems); `detail` starts with `field`.
 */
export async function loadImageInput(input: string, opts: ImageInputOptions, field = 'image'): Promise<LoadedImage> {
  const maxBytes = opts.maxBytes ?? MAX_INPUT_BYTES;
  const parsed = parseImageInputString(input, maxBytes);
  const bytes = await bytesOf(parsed, opts, field, maxBytes);
  const source = parsed.kind === 'bytes' ? parsed.source : 'url';
  return { ...(await normaliseImage(bytes, opts, field)), source };
}

async function bytesOf(parsed: ParsedInput, opts: ImageInputOptions, field: string, maxBytes: number): Promise<Buffer> {
  switch (parsed.kind) {
    case 'error':
      throw parsed.code === 'IMAGE_TOO_LARGE'
        ? tooLarge(field, parsed.message)
        : parsed.code === 'IMAGE_FETCH_FAILED'
          ? fetchFailed(field, parsed.message)
          : unreadable(field, parsed.message);
    case 'bytes':
      return parsed.data;
    case 'url': {
      const held = await opts.resolveUpload?.(parsed.url, field);
      if (held) return held;
      try {
        const res = await safeFetch(parsed.url, {
          allowPrivate: opts.allowPrivateUrls,
          timeoutMs: opts.fetchTimeoutMs ?? FETCH_TIMEOUT_MS,
          maxRedirects: opts.maxRedirects ?? FETCH_MAX_REDIRECTS,
          maxBytes,
          resolve: opts.resolve,
        });
        if (res.data.length === 0) throw fetchFailed(field, `the URL ${describeUrl(parsed.url)} returned an empty file`);
        return res.data;
      } catch (err) {
        if (err instanceof FetchError) {
          if (err.kind === 'too_large') throw tooLarge(field, `the file at ${describeUrl(parsed.url)} is larger than the ${formatBytes(maxBytes)} limit`);
          throw fetchFailed(field, `the image could not be downloaded from ${describeUrl(parsed.url)}: ${err.message}`);
        }
        throw err;
      }
    }
  }
}

/**
 * Validates and normalises image bytes already in memory (also used for training photos
 * fetched elsewhere). Same errors as loadImageInput.
 */
export async function normaliseImage(
  buf: Buffer,
  opts: Pick<ImageInputOptions, 'maxBytes' | 'maxPixels' | 'maxSide'>,
  field = 'image',
): Promise<Omit<LoadedImage, 'source'>> {
  const maxBytes = opts.maxBytes ?? MAX_INPUT_BYTES;
  const maxPixels = opts.maxPixels ?? MAX_INPUT_PIXELS;
  const maxSide = opts.maxSide ?? MAX_INPUT_SIDE;
  if (buf.length > maxBytes) throw tooLarge(field, `the image is ${formatBytes(buf.length)}, more than the ${formatBytes(maxBytes)} limit`);
  const format = sniffFormat(buf);
  if (!format) {
    const what = describeUnsupported(buf);
    throw unreadable(
      field,
      what ? `${what} is not a supported image format; send ${SUPPORTED_FORMATS_TEXT}` : `the data is not an image in a supported format (${SUPPORTED_FORMATS_TEXT})`,
    );
  }
  if (format === 'heic') return { ...(await fromHeic(buf, field, maxPixels, maxSide)), format };

  let meta: sharp.Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (err) {
    // A generic HEIF container may hold HEVC that only libheif-js can read.
    if (format === 'heif') return { ...(await fromHeic(buf, field, maxPixels, maxSide)), format };
    throw unreadable(field, `the ${formatName(format)} file is corrupt or truncated`);
  }
  if (format === 'heif' && meta.compression === 'hevc') {
    return { ...(await fromHeic(buf, field, maxPixels, maxSide)), format };
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (!(width > 0 && height > 0)) throw unreadable(field, `the ${formatName(format)} file has no valid image size`);
  checkPixels(field, width, height, maxPixels);

  try {
    return { ...(await fromSharp(buf, format, meta, maxPixels, maxSide)), format };
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message)) {
      throw tooLarge(field, `the image has more than ${Math.round(maxPixels / 1e6)} megapixels`);
    }
    throw unreadable(field, `the ${formatName(format)} file is corrupt or truncated and could not be decoded`);
  }
}

function checkPixels(field: string, width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw tooLarge(field, `the image is ${width}x${height} pixels, more than the ${Math.round(maxPixels / 1e6)} megapixel limit`);
  }
}

function formatName(f: ImageFormat): string {
  return f === 'jpeg' ? 'JPEG' : f === 'webp' ? 'WebP' : f.toUpperCase();
}

type Normalised = Omit<LoadedImage, 'source' | 'format'>;

async function fromSharp(
  buf: Buffer,
  format: ImageFormat,
  meta: sharp.Metadata,
  maxPixels: number,
  maxSide: number,
): Promise<Normalised> {
  const open = () => sharp(buf, { limitInputPixels: maxPixels, failOn: 'truncated', pages: 1, page: 0 });
  const orientation = meta.orientation ?? 1;
  const width = meta.width!;
  const height = meta.pageHeight ?? meta.height!;
  const plain8bitSrgb = (meta.space === 'srgb' || meta.space === 'b-w') && meta.depth === 'uchar' && !meta.icc;

  // Already what we would produce: keep the coded pixels (no generation loss), after
  // checking the whole file decodes (a cheap shrink-on-load pass catches truncation), but
  // without EXIF/XMP/IPTC/text metadata (GPS, serials): these bytes go to providers and
  // storage. Orientation is 1 here, so dropping EXIF cannot change how the image is shown.
  if ((format === 'jpeg' || format === 'png') && orientation === 1 && Math.max(width, height) <= maxSide && plain8bitSrgb) {
    await open().resize(256, 256, { fit: 'inside' }).raw().toBuffer();
    const data = format === 'jpeg' ? stripJpegMetadata(buf) : stripPngMetadata(buf);
    return { data, width, height, encoding: format === 'jpeg' ? 'jpeg' : 'png' };
  }

  const pipeline = open()
    .rotate() // EXIF orientation
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb');
  if (!meta.hasAlpha) {
    const { data, info } = await pipeline.jpeg({ quality: INPUT_JPEG_QUALITY, mozjpeg: false }).toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, encoding: 'jpeg' };
  }
  // An alpha channel is often fully opaque (GIFs always carry one): decide on the pixels.
  const { data: raw, info } = await pipeline.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return encodeRgba({ data: raw, width: info.width, height: info.height, hasAlpha: !allOpaque(raw) });
}

function allOpaque(rgba: Buffer): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/** Encodes decoded RGBA: PNG when transparency matters, high-quality JPEG otherwise. */
async function encodeRgba(rgba: DecodedRgba, maxSide = Infinity): Promise<Normalised> {
  let pipeline = sharp(rgba.data, { raw: { width: rgba.width, height: rgba.height, channels: 4 }, limitInputPixels: false });
  if (Math.max(rgba.width, rgba.height) > maxSide) {
    pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: 'inside' });
  }
  const encoded = rgba.hasAlpha
    ? pipeline.png({ compressionLevel: 4 })
    : pipeline.removeAlpha().jpeg({ quality: INPUT_JPEG_QUALITY, mozjpeg: false });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, encoding: rgba.hasAlpha ? 'png' : 'jpeg' };
}

async function fromHeic(buf: Buffer, field: string, maxPixels: number, maxSide: number): Promise<Normalised> {
  let rgba;
  try {
    rgba = await decodeHeic(buf, { maxPixels });
  } catch (err) {
    if (err instanceof HeicError) throw err.kind === 'too_large' ? tooLarge(field, err.message) : unreadable(field, err.message);
    throw unreadable(field, 'the HEIC/HEIF file could not be decoded');
  }
  return encodeRgba(rgba, maxSide);
}
