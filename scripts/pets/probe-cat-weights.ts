// Probe: per-block weights for the cats' frozen head (a `scale` vector over the shared blocks, so
// the dogs' head is untouched), swept on the TUNE cats, then measured once on the REPORT cats.
//
//   npx tsc -p . && node dist/scripts/pets/probe-cat-weights.js
import { readFeatures } from './cache.js';
import { verify } from './eval.js';
import { embedAll, meanOf, samples, TRAIN_FEATURES } from './train.js';

const photos = readFeatures();
const ss = samples(photos, TRAIN_FEATURES).filter((s) => s.kind === 'cat');
const mean = meanOf(ss.filter((s) => s.part === 'train').map((s) => s.x));
const sizes = TRAIN_FEATURES.blocks.map((b) => photos.find((p) => p.kind === 'cat')!.blocks[b.name]!.length);
const levels = [0, 0.5, 1, 2];
const rows: Array<{ w: number[]; tune: ReturnType<typeof verify> }> = [];
for (let code = 0; code < levels.length ** sizes.length; code++) {
  const w = sizes.map((_, i) => levels[Math.floor(code / levels.length ** i) % levels.length]);
  if (w.every((v) => v === 0)) continue;
  const scale = sizes.flatMap((n, i) => Array(n).fill(w[i]));
  rows.push({ w, tune: verify(embedAll(ss.filter((s) => s.part === 'tune'), { mean, scale, projection: null })) });
}
rows.sort((a, b) => b.tune.auc + b.tune.tarFar1 - (a.tune.auc + a.tune.tarFar1));
const names = TRAIN_FEATURES.blocks.map((b) => b.name).join('/');
for (const r of [...rows.slice(0, 5), rows.find((x) => x.w.every((v) => v === 1))!]) {
  const scale = sizes.flatMap((n, i) => Array(n).fill(r.w[i]));
  const rep = verify(embedAll(ss.filter((s) => s.part === 'report'), { mean, scale, projection: null }));
  console.log(`${names} = ${r.w.join('/')}: tune AUC ${r.tune.auc.toFixed(4)} TAR@1% ${(100 * r.tune.tarFar1).toFixed(1)}% | report AUC ${rep.auc.toFixed(4)} TAR@1% ${(100 * rep.tarFar1).toFixed(1)}%`);
}
