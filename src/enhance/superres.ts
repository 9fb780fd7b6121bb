// ESRGAN super-resolution (UpscalerJS RDN weights, shipped in node_modules) on the wasm backend,
// run tile by tile so the wasm heap stays bounded whatever the image size.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { RawRgb } from './raw.js';
import { getTf, type Tf } from './tf-runtime.js';

const require = createRequire(import.meta.url);

export type SrModelSize = 'slim' | 'medium';
export type SrScale = 2 | 4;

type LayersModel = Awaited<ReturnType<Tf['loadLayersModel']>>;
const models = new Map<string, Promise<LayersModel>>();

function modelDir(size: SrModelSize, scale: SrScale): string {
  const pkg = `@upscalerjs/esrgan-${size}`;
  // The package's `exports` hide package.json; its cjs entry sits at dist/cjs/..., so walk up.
  let dir = path.dirname(require.resolve(pkg));
  while (!isPackageRoot(dir, pkg)) {
    if (path.dirname(dir) === dir) throw new Error(`cannot locate ${pkg}`);
    dir = path.dirname(dir);
  }
  return path.join(dir, 'models', `x${scale}`);
}

function isPackageRoot(dir: string, name: string): boolean {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === name;
  } catch {
    return false;
  }
}

/** Loads weights from disk into memory (no file:// router or fetch needed); cached per thread. */
export function loadSrModel(size: SrModelSize, scale: SrScale): Promise<LayersModel> {
  const key = `${size}x${scale}`;
  let p = models.get(key);
  if (!p) {
    p = (async () => {
      const tf = await getTf();
      const dir = modelDir(size, scale);
      const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
      const specs = [];
      const bufs: Buffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const file of group.paths) bufs.push(await readFile(path.join(dir, file)));
      }
      const all = Buffer.concat(bufs);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
      return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
    })();
    p.catch(() => models.delete(key));
    models.set(key, p);
  }
  return p;
}

export interface TileOptions {
  /** Tile side in input pixels (before padding). */
  tile?: number;
  /** Context added around each tile and cropped away after, hiding seams. */
  pad?: number;
}

/** The tiles covering a width × height image: core rectangle and padded rectangle. Pure. */
export function tileGrid(width: number, height: number, tile: number, pad: number) {
  const tiles: Array<{ x: number; y: number; w: number; h: number; px: number; py: number; pw: number; ph: number }> = [];
  for (let y = 0; y < height; y += tile) {
    for (let x = 0; x < width; x += tile) {
      const w = Math.min(tile, width - x), h = Math.min(tile, height - y);
      const px = Math.max(0, x - pad), py = Math.max(0, y - pad);
      const pw = Math.min(width, x + w + pad) - px, ph = Math.min(height, y + h + pad) - py;
      tiles.push({ x, y, w, h, px, py, pw, ph });
    }
  }
  return tiles;
}

/** Upscales by `scale` with ESRGAN; output is exactly (width·scale) × (height·scale). */
export async function superResolve(
  img: RawRgb,
  scale: SrScale,
  size: SrModelSize = 'slim',
  opts: TileOptions = {},
): Promise<RawRgb> {
  const tf = await getTf();
  const model = await loadSrModel(size, scale);
  const tile = opts.tile ?? 192;
  const pad = opts.pad ?? 12;
  const { width, height } = img;
  const outW = width * scale, outH = height * scale;
  const out = new Uint8Array(outW * outH * 3);
  for (const t of tileGrid(width, height, tile, pad)) {
    const patch = new Float32Array(t.pw * t.ph * 3);
    for (let yy = 0; yy < t.ph; yy++) {
      const src = ((t.py + yy) * width + t.px) * 3;
      for (let i = 0; i < t.pw * 3; i++) patch[yy * t.pw * 3 + i] = img.data[src + i];
    }
    const y = tf.tidy(() => {
      const x = tf.tensor4d(patch, [1, t.ph, t.pw, 3]);
      return (model.predict(x) as import('@tensorflow/tfjs').Tensor).clipByValue(0, 255);
    });
    const res = (await y.data()) as Float32Array;
    y.dispose();
    const rw = t.pw * scale;
    const ox = (t.x - t.px) * scale, oy = (t.y - t.py) * scale;
    for (let yy = 0; yy < t.h * scale; yy++) {
      const srcRow = ((oy + yy) * rw + ox) * 3;
      const dstRow = ((t.y * scale + yy) * outW + t.x * scale) * 3;
      for (let i = 0; i < t.w * scale * 3; i++) out[dstRow + i] = Math.round(res[srcRow + i]);
    }
  }
  return { data: out, width: outW, height: outH };
}

export interface SrPlan {
  /** 1 = no ESRGAN (input already near the target size). */
  scale: 1 | SrScale;
  /** Size the input is reduced to before ESRGAN so the work fits the budget (= input if it fits). */
  srWidth: number;
  srHeight: number;
}

/**
 * Pure: how to super-resolve a w×h crop to cover outW×outH. ESRGAN on wasm costs about
 * 19 s per input megapixel at ×2 and 22 s at ×4 (slim; medium ≈ 2.7× more), so the input is
 * capped at `maxPixels` (default sized for ≈ 9 s) and a larger input is reduced first.
 */
export function planSuperRes(w: number, h: number, outW: number, outH: number, maxPixels = 480_000): SrPlan {
  const f = Math.max(outW / w, outH / h);
  if (f <= 1.2) return { scale: 1, srWidth: w, srHeight: h };
  const scale: SrScale = f >= 3 ? 4 : 2;
  const budget = scale === 4 ? maxPixels / 1.15 : maxPixels;
  const d = Math.min(1, Math.sqrt(budget / (w * h)));
  return { scale, srWidth: Math.max(1, Math.floor(w * d)), srHeight: Math.max(1, Math.floor(h * d)) };
}
