// `npm run train:pets`: trains the pet re-identification heads on cached frozen features
// (.cache/pets/features.jsonl, from extract-features.ts) and writes models/pets/head.json.
//
// Heads (per species), all trained with CosFace (large-margin cosine, Wang et al. 2018) on the
// TRAIN animals only, Adam, fixed seed, the epoch kept by TAR@FAR1% + AUC on the TUNE animals:
// a diagonal metric (one weight per feature, starting from the frozen metric) and a linear
// projection to --dim. The frozen metric (features centred on the train mean) is a candidate
// too, and is kept when nothing beats it on tune. Report animals are never seen here.
// --epochs 0: frozen only (no tfjs); --no-projection, --no-joint skip candidates.
//
//   npx tsc -p . && nice -n 10 node dist/scripts/pets/train.js [--epochs 40] [--dim 128] [--no-projection] [--no-joint] [--out models/pets/head.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { frozenVector, applyHead, encodeProjection, type FeatureSpec, type HeadWeights, type PetHeadsFile } from '../../src/identity/pets/head.js';
import type { AnimalKind } from '../../src/identity/pets/types.js';
import { readFeatures, type CachedPhoto } from './cache.js';
import { partsOfAnimals, SPLIT_SEED, type Part } from './dataset.js';
import { verify, type Embedded } from './eval.js';

const require = createRequire(import.meta.url);
type Tf = typeof import('@tensorflow/tfjs');

/** Fisher–Yates reshuffle of `order` in place, once per epoch, from a seeded LCG (reproducible runs). */
function epochShuffler(order: number[], seed0: number): () => void {
  let seed = seed0;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  return () => {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
  };
}
function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** Feature blocks and weights of the shipped head (chosen on the tune parts; docs/pets.md). */
export const TRAIN_FEATURES: FeatureSpec = {
  blocks: [
    { name: 'hsv', weight: 1 },
    { name: 'mnv2', weight: 1 },
    { name: 'mnv2max', weight: 1 },
    { name: 'mnv2mid', weight: 1 },
  ],
};

export interface Sample {
  animal: string;
  file: string;
  kind: AnimalKind;
  part: Part;
  x: Float32Array;
}

/** Cached photos → frozen vectors with their split part. */
export function samples(photos: CachedPhoto[], spec: FeatureSpec): Sample[] {
  const parts = partsOfAnimals(photos);
  return photos.map((p) => ({ animal: p.animal, file: p.file, kind: p.kind, part: parts.get(p.animal)!, x: frozenVector(p.blocks, spec) }));
}

export function meanOf(xs: Float32Array[]): number[] {
  const d = xs[0].length;
  const m = new Float64Array(d);
  for (const x of xs) for (let i = 0; i < d; i++) m[i] += x[i];
  return Array.from(m, (v) => v / xs.length);
}

export function embedAll(ss: Sample[], head: HeadWeights): Embedded[] {
  return ss.map((s) => ({ animal: s.animal, file: s.file, embedding: applyHead(s.x, head) }));
}

/** CosFace training of a linear projection; returns the best-on-tune projection. */
async function trainCosFace(tf: Tf, train: Sample[], tune: Sample[], mean: number[], opts: { dim: number; epochs: number; seed: number; log: string }) {
  const classes = [...new Set(train.map((s) => s.animal))];
  const cls = new Map(classes.map((c, i) => [c, i]));
  const d = train[0].x.length;
  const X = tf.tensor2d(train.map((s) => Array.from(s.x, (v, i) => v - mean[i])));
  const Y = tf.tensor1d(train.map((s) => cls.get(s.animal)!), 'int32');
  const W = tf.variable(tf.randomNormal([d, opts.dim], 0, 1 / Math.sqrt(d), 'float32', opts.seed));
  const C = tf.variable(tf.randomNormal([opts.dim, classes.length], 0, 1, 'float32', opts.seed + 1));
  const optimizer = tf.train.adam(0.002);
  const S = 24;
  const M = 0.3;
  const batch = 256;
  let best = { tar: -1, auc: 0, epoch: -1, W: null as number[][] | null };
  const n = train.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const shuffle = epochShuffler(order, opts.seed);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffle();
    let lossSum = 0;
    for (let b = 0; b < n; b += batch) {
      const idx = tf.tensor1d(order.slice(b, b + batch), 'int32');
      const loss = optimizer.minimize(() => {
        const xb = tf.gather(X, idx);
        const yb = tf.gather(Y, idx);
        // Input dropout: a frozen feature set this small is easy to memorise.
        const xd = tf.dropout(xb, 0.2);
        const e = tf.div(tf.matMul(xd, W), tf.add(tf.norm(tf.matMul(xd, W), 2, 1, true), 1e-6));
        const c = tf.div(C, tf.add(tf.norm(C, 2, 0, true), 1e-6));
        const cos = tf.matMul(e, c);
        const oneHot = tf.oneHot(yb, classes.length);
        const logits = tf.mul(S, tf.sub(cos, tf.mul(M, oneHot)));
        return tf.add(tf.losses.softmaxCrossEntropy(oneHot, logits), tf.mul(1e-4, tf.sum(tf.square(W)))) as import('@tensorflow/tfjs').Scalar;
      }, true);
      lossSum += (await loss!.data())[0];
      loss!.dispose();
      idx.dispose();
    }
    const Wv = (await W.array()) as number[][];
    const projection = transpose(Wv);
    const r = verify(embedAll(tune, { mean, projection }));
    console.log(`${opts.log} epoch ${epoch + 1}: loss ${(lossSum / Math.ceil(n / batch)).toFixed(3)} tune AUC ${r.auc.toFixed(4)} TAR@1% ${(100 * r.tarFar1).toFixed(1)}%`);
    if (r.tarFar1 + r.auc > best.tar + best.auc) best = { tar: r.tarFar1, auc: r.auc, epoch: epoch + 1, W: projection };
  }
  X.dispose();
  Y.dispose();
  W.dispose();
  C.dispose();
  return best;
}

/**
 * CosFace training of per-feature weights (a diagonal metric) starting from all ones, i.e.
 * from the frozen baseline; class centres start at the training animals' centroids. Few
 * parameters (one per feature), so it cannot memorise a few hundred animals the way a full
 * projection does. Returns the best-on-tune weights.
 */
async function trainScale(tf: Tf, train: Sample[], tune: Sample[], mean: number[], opts: { epochs: number; seed: number; log: string; lr?: number }) {
  const classes = [...new Set(train.map((s) => s.animal))];
  const cls = new Map(classes.map((c, i) => [c, i]));
  const d = train[0].x.length;
  const X = tf.tensor2d(train.map((s) => Array.from(s.x, (v, i) => v - mean[i])));
  const Y = tf.tensor1d(train.map((s) => cls.get(s.animal)!), 'int32');
  const D = tf.variable(tf.ones([1, d]));
  // Class centroids in plain JS (tfjs' CPU unsortedSegmentSum is O(samples × classes × d)).
  const sums = Array.from({ length: classes.length }, () => new Float32Array(d));
  for (const s of train) {
    const c = sums[cls.get(s.animal)!];
    let nn = 0;
    for (let i = 0; i < d; i++) nn += (s.x[i] - mean[i]) ** 2;
    nn = Math.sqrt(nn) || 1;
    for (let i = 0; i < d; i++) c[i] += (s.x[i] - mean[i]) / nn;
  }
  const cent = new Float32Array(d * classes.length); // [d, classes]
  sums.forEach((c, k) => {
    const nn = Math.hypot(...c) || 1;
    for (let i = 0; i < d; i++) cent[i * classes.length + k] = c[i] / nn;
  });
  const init = tf.tensor2d(cent, [d, classes.length]);
  const C = tf.variable(init);
  init.dispose();
  const optimizer = tf.train.adam(opts.lr ?? 0.01);
  const S = 24;
  const M = 0.2;
  const batch = 256;
  const frozen = verify(embedAll(tune, { mean, projection: null }));
  let best = { tar: frozen.tarFar1, auc: frozen.auc, epoch: 0, scale: null as number[] | null };
  const n = train.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const shuffle = epochShuffler(order, opts.seed);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffle();
    let lossSum = 0;
    for (let b = 0; b < n; b += batch) {
      const idx = tf.tensor1d(order.slice(b, b + batch), 'int32');
      const loss = optimizer.minimize(() => {
        const xb = tf.mul(tf.gather(X, idx), tf.relu(D));
        const e = tf.div(xb, tf.add(tf.norm(xb, 2, 1, true), 1e-6));
        const c = tf.div(C, tf.add(tf.norm(C, 2, 0, true), 1e-6));
        const oneHot = tf.oneHot(tf.gather(Y, idx), classes.length);
        const logits = tf.mul(S, tf.sub(tf.matMul(e, c), tf.mul(M, oneHot)));
        // Pull the weights towards 1 (the frozen metric): only move where the data insist.
        return tf.add(tf.losses.softmaxCrossEntropy(oneHot, logits), tf.mul(1e-3, tf.mean(tf.square(tf.sub(D, 1))))) as import('@tensorflow/tfjs').Scalar;
      }, true);
      lossSum += (await loss!.data())[0];
      loss!.dispose();
      idx.dispose();
    }
    const scale = Array.from(await tf.relu(D).data());
    const r = verify(embedAll(tune, { mean, scale, projection: null }));
    console.log(`${opts.log} epoch ${epoch + 1}: loss ${(lossSum / Math.ceil(n / batch)).toFixed(3)} tune AUC ${r.auc.toFixed(4)} TAR@1% ${(100 * r.tarFar1).toFixed(1)}%`);
    if (r.tarFar1 + r.auc > best.tar + best.auc) best = { tar: r.tarFar1, auc: r.auc, epoch: epoch + 1, scale };
  }
  for (const t of [X, Y, D, C]) t.dispose();
  return best;
}

function transpose(m: number[][]): number[][] {
  return m[0].map((_, j) => m.map((row) => row[j]));
}

async function loadTf(): Promise<Tf> {
  const tf = require('@tensorflow/tfjs') as Tf;
  await tf.setBackend('cpu'); // training needs gradient kernels; the plain JS backend has them all
  await tf.ready();
  return tf;
}

async function main() {
  const epochs = Number(arg('--epochs', '40'));
  const dim = Number(arg('--dim', '128'));
  const out = path.resolve(arg('--out', 'models/pets/head.json'));
  const seed = SPLIT_SEED;
  const photos = readFeatures();
  const all = samples(photos, TRAIN_FEATURES);
  const frozenOnly = epochs === 0;
  const tf = frozenOnly ? (null as unknown as Tf) : await loadTf();
  const kinds: Record<AnimalKind, HeadWeights> = { cat: { mean: null, projection: null }, dog: { mean: null, projection: null } };
  const provenance: Record<string, unknown> = {
    script: 'scripts/pets/train.ts',
    command: `node dist/scripts/pets/train.js ${process.argv.slice(2).join(' ')}`.trim(),
    seed,
    loss: 'CosFace. Diagonal metric: s=24 m=0.2, Adam 0.01, batch 256, pull to 1 (1e-3). Projection: s=24 m=0.3, Adam 0.002, input dropout 0.2, L2 1e-4',
    date: new Date().toISOString().slice(0, 10),
  };
  // Dogs: trained on train dogs. Cats: too few for a head of their own (7 train cats); the
  // candidates are the dog head, a head trained on train dogs + train cats, and frozen.
  const parts = (k: AnimalKind, p: Part) => all.filter((s) => s.kind === k && s.part === p);
  const dogTrain = parts('dog', 'train');
  const dogTune = parts('dog', 'tune');
  const catTrain = parts('cat', 'train');
  const catTune = parts('cat', 'tune');
  const dogMean = meanOf(dogTrain.map((s) => s.x));
  const frozenDog = verify(embedAll(dogTune, { mean: dogMean, projection: null }));
  console.log(`dogs: ${dogTrain.length} train photos (${new Set(dogTrain.map((s) => s.animal)).size} dogs), ${dogTune.length} tune; frozen tune AUC ${frozenDog.auc.toFixed(4)} TAR@1% ${(100 * frozenDog.tarFar1).toFixed(1)}%`);
  const dogCands: Array<{ name: string; head: HeadWeights; auc: number; tar: number; epoch: number }> = [
    { name: 'frozen', head: { mean: dogMean, projection: null }, auc: frozenDog.auc, tar: frozenDog.tarFar1, epoch: 0 },
  ];
  const dogScale = frozenOnly ? { scale: null, auc: 0, tar: 0, epoch: 0 } : await trainScale(tf, dogTrain, dogTune, dogMean, { epochs, seed, log: 'dog scale' });
  if (dogScale.scale) dogCands.push({ name: 'diagonal metric', head: { mean: dogMean, scale: dogScale.scale, projection: null }, auc: dogScale.auc, tar: dogScale.tar, epoch: dogScale.epoch });
  if (!frozenOnly && !process.argv.includes('--no-projection')) {
    const dog = await trainCosFace(tf, dogTrain, dogTune, dogMean, { dim, epochs, seed, log: 'dog projection' });
    if (dog.W) dogCands.push({ name: `projection ${dim}-d`, head: { mean: dogMean, projection: dog.W }, auc: dog.auc, tar: dog.tar, epoch: dog.epoch });
  }
  const bestDog = dogCands.reduce((a, b) => (b.tar + b.auc > a.tar + a.auc ? b : a));
  kinds.dog = bestDog.head;
  provenance.dog = {
    chosen: bestDog.name,
    trainPhotos: dogTrain.length,
    trainDogs: new Set(dogTrain.map((s) => s.animal)).size,
    tune: Object.fromEntries(dogCands.map((c) => [c.name, { auc: c.auc, tarFar1: c.tar, epoch: c.epoch }])),
  };

  // Cats: 4 train cats only give the mean; the candidates are frozen, the dogs' diagonal metric
  // (does what matters for dogs carry over?) and a diagonal metric trained on train dogs + cats.
  const catMean = meanOf(catTrain.map((s) => s.x));
  const cands: Array<{ name: string; head: HeadWeights }> = [{ name: 'frozen (cat mean)', head: { mean: catMean, projection: null } }];
  if (dogScale.scale) cands.push({ name: 'dog diagonal metric', head: { mean: catMean, scale: dogScale.scale, projection: null } });
  const joint = [...dogTrain, ...catTrain];
  const jointScale = frozenOnly || process.argv.includes('--no-joint') ? { scale: null } : await trainScale(tf, joint, catTune, catMean, { epochs: Math.min(epochs, 10), seed: seed + 3, log: 'dog+cat scale' });
  if (jointScale.scale) cands.push({ name: 'dog+cat diagonal metric', head: { mean: catMean, scale: jointScale.scale, projection: null } });
  let bestCat = cands[0];
  let bestScore = -1;
  const catScores: Record<string, unknown> = {};
  for (const c of cands) {
    const r = verify(embedAll(catTune, c.head));
    catScores[c.name] = { auc: r.auc, tarFar1: r.tarFar1 };
    console.log(`cats tune, ${c.name}: AUC ${r.auc.toFixed(4)} TAR@1% ${(100 * r.tarFar1).toFixed(1)}%`);
    if (r.auc + r.tarFar1 > bestScore) {
      bestScore = r.auc + r.tarFar1;
      bestCat = c;
    }
  }
  kinds.cat = bestCat.head;
  provenance.cat = { chosen: bestCat.name, tune: catScores, trainCats: new Set(catTrain.map((s) => s.animal)).size };

  const file: PetHeadsFile = {
    version: 1,
    features: TRAIN_FEATURES,
    kinds: Object.fromEntries(
      Object.entries(kinds).map(([k, w]) => [
        k,
        {
          mean: w.mean && w.mean.map((v) => Math.round(v * 1e6) / 1e6),
          scale: w.scale ? w.scale.map((v) => Math.round(v * 1e5) / 1e5) : null,
          projection: null,
          projectionQ8: w.projection ? encodeProjection(w.projection) : undefined,
        },
      ]),
    ) as PetHeadsFile['kinds'],
    provenance,
  };
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(file) + '\n');
  console.log(`wrote ${out}: dog ${bestDog.name}, cat ${bestCat.name}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
