// HEIC/HEIF decoding through heic-decode (libheif compiled to wasm, HEVC via libde265):
// sharp's libvips has libheif but no HEVC decoder. The container is parsed first and the
// size checked before any pixels are decoded, so a header claiming 50000x50000 costs nothing.
import { createRequire } from 'node:module';

interface HeicImageHandle {
  width: number;
  height: number;
  decode(): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}
interface HeicDecodeModule {
  all(input: { buffer: Uint8Array }): Promise<HeicImageHandle[] & { dispose(): void }>;
}

let mod: HeicDecodeModule | undefined;
/** Loaded on first use: the wasm bundle is ~2 MB and most requests never need it. */
function heicDecode(): HeicDecodeModule {
  if (!mod) mod = createRequire(import.meta.url)('heic-decode') as HeicDecodeModule;
  return mod;
}

export type HeicErrorKind = 'unreadable' | 'too_large';

export class HeicError extends Error {
  constructor(
    readonly kind: HeicErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'HeicError';
  }
}

export interface DecodedRgba {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, width*height*4 bytes. */
  data: Buffer;
  /** False when every alpha byte is 255 (the usual case for camera photos). */
  hasAlpha: boolean;
}

/**
 * Same as decodeHeicHere, run on a worker thread: libheif's wasm decode is synchronous
 * (~0.1 s per 2.5 MP) and would otherwise stall the HTTP event loop.
 */
export { decodeHeicInWorker as decodeHeic } from './heic-pool.js';

/**
 * Decodes, on the calling thread, the first image of a HEIC/HEIF file to RGBA, with the container's rotation and
 * mirroring (irot/imir) applied by libheif. Throws HeicError('too_large') when the image has
 * more than `maxPixels` pixels (checked before decoding) and HeicError('unreadable') for
 * anything libheif cannot read (corrupt, truncated, not HEIF, AV1 inside).
 */
export async function decodeHeicHere(buf: Uint8Array, opts: { maxPixels: number }): Promise<DecodedRgba> {
  let images: Awaited<ReturnType<HeicDecodeModule['all']>>;
  try {
    images = await heicDecode().all({ buffer: buf });
  } catch (err) {
    throw new HeicError('unreadable', `the HEIC/HEIF file could not be read (${shortReason(err)})`);
  }
  try {
    const first = images[0];
    if (!first) throw new HeicError('unreadable', 'the HEIC/HEIF file contains no image');
    const { width, height } = first;
    if (!(width > 0 && height > 0)) throw new HeicError('unreadable', 'the HEIC/HEIF file has an invalid image size');
    if (width * height > opts.maxPixels) {
      throw new HeicError('too_large', `the image is ${width}x${height} pixels, more than the ${Math.round(opts.maxPixels / 1e6)} megapixel limit`);
    }
    let decoded: { width: number; height: number; data: Uint8ClampedArray };
    try {
      decoded = await first.decode();
    } catch (err) {
      throw new HeicError('unreadable', `the HEIC/HEIF image could not be decoded (${shortReason(err)})`);
    }
    const data = Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
    if (data.length !== decoded.width * decoded.height * 4) {
      throw new HeicError('unreadable', 'the HEIC/HEIF image decoded to an unexpected size');
    }
    return { width: decoded.width, height: decoded.height, data, hasAlpha: !allOpaque(data) };
  } finally {
    try {
      images.dispose();
    } catch {
      // freeing wasm handles must never mask the real outcome
    }
  }
}

function allOpaque(rgba: Buffer): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.length > 80 ? `${msg.slice(0, 77)}...` : msg || 'unknown error';
}
