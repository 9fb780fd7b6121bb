// Final encoding of studio outputs: exact contract size (geometry.ts) in the requested format.
import sharp from 'sharp';
import { sniffFormat, type ImageFormat } from './format.js';
import type { Size } from './geometry.js';

export { sniffFormat, type ImageFormat } from './format.js';

export type OutputFormat = 'jpg' | 'png';

/** JPEG quality for outputs: visually lossless for photos, ~4x smaller than PNG. */
export const JPEG_QUALITY = 92;
/** zlib level 6: most of level 9's size at a fraction of its time on 4K outputs. */
export const PNG_COMPRESSION = 6;

export function contentTypeFor(format: OutputFormat): 'image/jpeg' | 'image/png' {
  return format === 'jpg' ? 'image/jpeg' : 'image/png';
}

/** File extension for a stored output (the contract's `output_format` values). */
export function extensionFor(format: OutputFormat): 'jpg' | 'png' {
  return format;
}

/**
 * Resizes `image` (anything sharp reads) to exactly `target`, cropping the centre when the
 * aspect differs (cover), honours EXIF orientation, and encodes it. JPEG has no alpha:
 * transparent areas become white. Metadata is not copied to the output.
 */
export async function fitAndEncode(image: Buffer, target: Size, format: OutputFormat): Promise<Buffer> {
  if (!(Number.isInteger(target.width) && Number.isInteger(target.height) && target.width > 0 && target.height > 0)) {
    throw new RangeError(`invalid output size ${target.width}x${target.height}`);
  }
  const pipeline = sharp(image, { failOn: 'truncated' })
    .rotate()
    .resize({ width: target.width, height: target.height, fit: 'cover', position: 'centre' });
  if (format === 'jpg') {
    return pipeline
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: JPEG_QUALITY, mozjpeg: false, chromaSubsampling: '4:2:0' })
      .toBuffer();
  }
  return pipeline.png({ compressionLevel: PNG_COMPRESSION, adaptiveFiltering: false }).toBuffer();
}

/** Output format of bytes already encoded as JPEG or PNG (null for anything else). */
export function outputFormatOf(buf: Uint8Array): OutputFormat | null {
  const f: ImageFormat | null = sniffFormat(buf);
  return f === 'jpeg' ? 'jpg' : f === 'png' ? 'png' : null;
}
