// Small helpers every adapter shares: the input/reference split of a request's images,
// size fitting to a provider's limits, data URIs and image type sniffing.
import type { ProviderImage, ProviderRequest } from './types.js';

/**
 * ProviderRequest plus an optional count of the user's own images at the front of
 * `images` (the rest are profile reference photos). Proposed for types.ts; until then
 * adapters fall back to the endpoint's usual count.
 */
export interface ProviderRequestWithInputs extends ProviderRequest {
  inputImageCount?: number;
}

export function inputImageCountOf(req: ProviderRequest): number {
  const n = (req as ProviderRequestWithInputs).inputImageCount;
  if (typeof n === 'number' && n >= 0) return Math.min(n, req.images.length);
  const usual = req.operation === 'generate' ? 0 : req.operation === 'remix' ? 2 : 1;
  return Math.min(usual, req.images.length);
}

/**
 * Largest size with the requested aspect ratio within a provider's limits, sides
 * multiples of `multiple`. The studio resizes provider output to the exact contract size.
 */
export function fitSize(
  width: number,
  height: number,
  limits: { maxEdge: number; maxPixels: number; multiple: number },
): { width: number; height: number } {
  let scale = Math.min(1, limits.maxEdge / Math.max(width, height), Math.sqrt(limits.maxPixels / (width * height)));
  const snap = (v: number) => Math.max(limits.multiple, Math.floor((v * scale) / limits.multiple) * limits.multiple);
  return { width: snap(width), height: snap(height) };
}

export function sniffMime(data: Buffer): string {
  if (data.length >= 8 && data.readUInt32BE(0) === 0x89504e47) return 'image/png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length >= 12 && data.toString('ascii', 0, 4) === 'RIFF' && data.toString('ascii', 8, 12) === 'WEBP') return 'image/webp';
  if (data.length >= 12 && data.toString('ascii', 4, 8) === 'ftyp') return 'image/avif';
  return 'application/octet-stream';
}

export function toDataUri(img: ProviderImage): string {
  return `data:${img.mimeType};base64,${img.data.toString('base64')}`;
}

export function fromDataUri(uri: string): ProviderImage | null {
  const m = /^data:([^;,]+)?(;base64)?,(.*)$/s.exec(uri);
  if (!m) return null;
  const data = m[2] ? Buffer.from(m[3], 'base64') : Buffer.from(decodeURIComponent(m[3]), 'latin1');
  return { data, mimeType: m[1] || sniffMime(data) };
}

export function extensionFor(mime: string): string {
  return mime === 'image/jpeg' ? 'jpg' : mime === 'image/webp' ? 'webp' : mime === 'image/avif' ? 'avif' : 'png';
}

/** Runs `count` independent calls with bounded concurrency, keeping order. */
export async function times<T>(count: number, fn: (i: number) => Promise<T>, concurrency = 2): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}
