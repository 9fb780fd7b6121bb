// The pet re-identification head: frozen backbone features → embedding. Pure maths plus one
// loader of the shipped weights (models/pets/head.json, written by `npm run train:pets`).
// A head is: centre the frozen vector on the training mean, optionally project it with a
// learned linear map, L2-normalise. Without learned weights the frozen vector itself (centred)
// is the embedding: the measured baseline.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnimalKind } from './types.js';

/** Which frozen feature blocks a head consumes, in order, and the weight each block gets. */
export interface FeatureSpec {
  blocks: Array<{ name: FeatureBlockName; weight: number }>;
}
export type FeatureBlockName = 'hsv' | 'mnv2' | 'mnv2max' | 'mnv2mid' | 'cn';

export interface HeadWeights {
  /** Mean of the (block-normalised, weighted) frozen vectors of the training animals. */
  mean: number[] | null;
  /** Linear projection, row-major [outDim][inDim]; null = identity (frozen baseline). */
  projection: number[][] | null;
}

export interface PetHeadsFile {
  version: 1;
  features: FeatureSpec;
  kinds: Record<AnimalKind, HeadWeights>;
  /** How the file was produced (script, seed, data split), for humans. */
  provenance?: Record<string, unknown>;
}

export interface PetHeads {
  features: FeatureSpec;
  kinds: Record<AnimalKind, HeadWeights>;
  /** true when a trained projection is loaded for the kind. */
  trained: Record<AnimalKind, boolean>;
}

/** The frozen baseline: every block normalised, colour given as much say as each backbone. */
export const DEFAULT_FEATURES: FeatureSpec = {
  blocks: [
    { name: 'hsv', weight: 1 },
    { name: 'mnv2', weight: 1 },
    { name: 'cn', weight: 1 },
  ],
};

export const HEAD_FILE = fileURLToPath(new URL('../../../../models/pets/head.json', import.meta.url));

/** Loads models/pets/head.json if present; otherwise the untrained frozen baseline. */
export function loadHeads(file = HEAD_FILE): PetHeads {
  if (!existsSync(file)) {
    return {
      features: DEFAULT_FEATURES,
      kinds: { cat: { mean: null, projection: null }, dog: { mean: null, projection: null } },
      trained: { cat: false, dog: false },
    };
  }
  return parseHeads(JSON.parse(readFileSync(file, 'utf8')), path.basename(file));
}

/** Validates a parsed head file (pure). */
export function parseHeads(raw: unknown, name = 'head file'): PetHeads {
  const f = raw as PetHeadsFile;
  if (!f || f.version !== 1 || !f.features?.blocks?.length || !f.kinds?.cat || !f.kinds?.dog) {
    throw new Error(`${name}: not a version-1 pet head file`);
  }
  const dim = (w: HeadWeights) => w.mean?.length ?? w.projection?.[0]?.length ?? null;
  for (const kind of ['cat', 'dog'] as const) {
    const w = f.kinds[kind];
    const d = dim(w);
    if (w.projection && w.projection.some((row) => row.length !== d)) throw new Error(`${name}: ${kind} projection rows differ in length`);
  }
  return {
    features: f.features,
    kinds: f.kinds,
    trained: { cat: !!f.kinds.cat.projection, dog: !!f.kinds.dog.projection },
  };
}

/** L2-normalised copy (a zero vector stays zero). */
export function l2(v: ArrayLike<number>): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  const out = new Float32Array(v.length);
  if (n > 0) for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

/**
 * The frozen vector: each block L2-normalised, scaled by its weight, concatenated. Missing
 * blocks are an error (a head trained on them cannot run without).
 */
export function frozenVector(blocks: Partial<Record<FeatureBlockName, ArrayLike<number>>>, spec: FeatureSpec): Float32Array {
  const parts = spec.blocks.map(({ name, weight }) => {
    const b = blocks[name];
    if (!b) throw new Error(`missing feature block ${name}`);
    const n = l2(b);
    for (let i = 0; i < n.length; i++) n[i] *= weight;
    return n;
  });
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Frozen vector → unit embedding through the head (pure). */
export function applyHead(frozen: ArrayLike<number>, head: HeadWeights): Float32Array {
  const x = new Float32Array(frozen.length);
  for (let i = 0; i < x.length; i++) x[i] = frozen[i] - (head.mean ? head.mean[i] : 0);
  if (head.mean && head.mean.length !== x.length) throw new RangeError(`head expects ${head.mean.length} features, got ${x.length}`);
  if (!head.projection) return l2(x);
  const out = new Float32Array(head.projection.length);
  for (let r = 0; r < out.length; r++) {
    const row = head.projection[r];
    if (row.length !== x.length) throw new RangeError(`head expects ${row.length} features, got ${x.length}`);
    let s = 0;
    for (let i = 0; i < x.length; i++) s += row[i] * x[i];
    out[r] = s;
  }
  return l2(out);
}
