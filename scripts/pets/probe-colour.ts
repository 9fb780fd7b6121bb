// Probe (not shipped unless it wins): does a spatial colour block (HSV histograms of a g×g grid of
// the aligned dog crop) add to the closed-form dog head? Computes the block for TRAIN and TUNE
// dogs straight from the photos (dog photos are aligned 224 px crops: the whole image is what the
// product embeds), appends it to the cached blocks, and fits WCCN+LDA with and without it.
//
//   npx tsc -p . && node dist/scripts/pets/probe-colour.js [--grid 3] [--k 512] [--m 48] [--lambda 0.5]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeForAnalysis } from '../../src/identity/runtime.js';
import { hsvHistogram } from '../../src/identity/pets/features.js';
import { l2 } from '../../src/identity/pets/head.js';
import { readFeatures } from './cache.js';
import { PETS_DIR } from './dataset.js';
import { fitLda } from './train-lda.js';
import { samples, TRAIN_FEATURES, type Sample } from './train.js';

const arg = (n: string, d: string) => (process.argv.includes(n) ? process.argv[process.argv.indexOf(n) + 1] : d);

/** HSV histograms of a g×g grid of cells, each L2-normalised, concatenated. */
export function hsvGrid(rgb: ArrayLike<number>, width: number, height: number, g: number): Float32Array {
  const parts: Float32Array[] = [];
  for (let r = 0; r < g; r++)
    for (let c = 0; c < g; c++) {
      const x0 = Math.round((c * width) / g);
      const x1 = Math.round(((c + 1) * width) / g);
      const y0 = Math.round((r * height) / g);
      const y1 = Math.round(((r + 1) * height) / g);
      const cell = new Uint8Array((x1 - x0) * (y1 - y0) * 3);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let k = 0; k < 3; k++) cell[((y - y0) * (x1 - x0) + (x - x0)) * 3 + k] = rgb[(y * width + x) * 3 + k];
      parts.push(hsvHistogram(cell, x1 - x0, y1 - y0, 1));
    }
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  parts.forEach((p, i) => out.set(p, i * p.length));
  return out;
}

async function main() {
  const g = Number(arg('--grid', '3'));
  const grid = { ks: arg('--k', '512').split(',').map(Number), ms: arg('--m', '48').split(',').map(Number), lambdas: arg('--lambda', '0.5').split(',').map(Number) };
  const photos = readFeatures();
  const base = samples(photos, TRAIN_FEATURES).filter((s) => s.kind === 'dog' && s.part !== 'report');
  const t0 = Date.now();
  const withColour: Sample[] = [];
  for (const s of base) {
    const img = await decodeForAnalysis(readFileSync(path.join(PETS_DIR, s.file)), 1024);
    const block = l2(hsvGrid(img.data, img.width, img.height, g));
    withColour.push({ ...s, x: Float32Array.from([...s.x, ...block]) });
  }
  console.log(`hsv ${g}×${g} grid on ${base.length} photos in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  fitLda(base, 'dog', TRAIN_FEATURES, grid);
  fitLda(withColour, 'dog', { blocks: [...TRAIN_FEATURES.blocks, { name: 'hsv', weight: 1 }] }, grid);
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
