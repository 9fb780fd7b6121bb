// Probe (not shipped): how the closed-form dog head scales and what else helps it, on the TUNE
// dogs. Fits WCCN+LDA (train-lda.ts fitLda) on a share of the TRAIN dogs (--train-frac, a learning
// curve) and/or other blocks (--blocks mnv2,hsv,…; --grid), then scores tune pairs raw and with
// adaptive score normalisation (s-norm) against a cohort of train-dog centroids, top-K = 50…all.
//
//   npx tsc -p . && node dist/scripts/pets/probe-lda.js [--k 256] [--m 96] [--lambda 0.1] [--train-frac 1] [--blocks …] [--part tune]
import { readFeatures } from './cache.js';
import { fitLda, asShipped, GRID_FEATURES } from './train-lda.js';
import { embedAll, samples, TRAIN_FEATURES } from './train.js';
import { rocAuc, tarAtFar } from '../../src/identity/pets/thresholds.js';
import { sameBurst } from './dataset.js';
import type { FeatureBlockName, FeatureSpec } from '../../src/identity/pets/head.js';

const arg = (n: string, d: string) => (process.argv.includes(n) ? process.argv[process.argv.indexOf(n) + 1] : d);
const photos = readFeatures();
const blocksArg = arg('--blocks', '');
const spec: FeatureSpec = blocksArg
  ? { blocks: blocksArg.split(',').map((name) => ({ name: name as FeatureBlockName, weight: 1 })) }
  : process.argv.includes('--grid')
    ? GRID_FEATURES
    : TRAIN_FEATURES;
const frac = Number(arg('--train-frac', '1'));
const trainDogs = [...new Set(samples(photos, spec).filter((s) => s.kind === 'dog' && s.part === 'train').map((s) => s.animal))].sort();
const keep = new Set(trainDogs.filter((_, i) => (i * 7919) % 1000 < frac * 1000));
const ss = samples(photos, spec).filter((s) => s.kind !== 'dog' || s.part !== 'train' || keep.has(s.animal));
console.log(`train dogs kept: ${keep.size} of ${trainDogs.length}`);
const ks = arg('--k', '256').split(',').map(Number);
const ms = arg('--m', '96').split(',').map(Number);
const lambdas = arg('--lambda', '0.1').split(',').map(Number);
const { best } = fitLda(ss, 'dog', spec, { ks, lambdas, ms });
const head = asShipped(best.head);
const part = arg('--part', 'tune') as 'tune' | 'report';
const train = embedAll(ss.filter((s) => s.kind === 'dog' && s.part === 'train'), head);
const test = embedAll(ss.filter((s) => s.kind === 'dog' && s.part === part), head);
const dim = test[0].embedding.length;
// Cohort: unit centroids of train dogs.
const byDog = new Map<string, Float32Array[]>();
for (const e of train) byDog.set(e.animal, [...(byDog.get(e.animal) ?? []), e.embedding as Float32Array]);
const cohort = [...byDog.values()].map((vs) => {
  const c = new Float64Array(dim);
  for (const v of vs) for (let i = 0; i < dim; i++) c[i] += v[i];
  const n = Math.hypot(...c) || 1;
  return c.map((v) => v / n);
});
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
function stats(e: ArrayLike<number>, topK: number) {
  const s = cohort.map((c) => dot(c, e)).sort((a, b) => b - a).slice(0, topK);
  const mu = s.reduce((a, b) => a + b, 0) / s.length;
  const sd = Math.sqrt(s.reduce((a, b) => a + (b - mu) ** 2, 0) / s.length) || 1;
  return { mu, sd };
}
console.log(`cohort ${cohort.length} train dogs; ${part} ${test.length} photos`);
for (const topK of [0, 50, 100, 200, 400, cohort.length]) {
  const st = test.map((e) => stats(e.embedding, topK || 1));
  const gen: number[] = [];
  const imp: number[] = [];
  for (let i = 0; i < test.length; i++)
    for (let j = i + 1; j < test.length; j++) {
      const raw = dot(test[i].embedding, test[j].embedding);
      const s = topK === 0 ? raw : 0.5 * ((raw - st[i].mu) / st[i].sd + (raw - st[j].mu) / st[j].sd);
      if (test[i].animal === test[j].animal) {
        if (!sameBurst(test[i].file, test[j].file)) gen.push(s);
      } else imp.push(s);
    }
  console.log(
    `topK=${topK || 'raw'}: AUC ${rocAuc(gen, imp).toFixed(4)} TAR@1% ${(100 * tarAtFar(gen, imp, 0.01).tar).toFixed(1)}% @0.1% ${(100 * tarAtFar(gen, imp, 0.001).tar).toFixed(1)}%`,
  );
}
