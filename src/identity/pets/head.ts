// The pet re-identification head: frozen backbone features → embedding. Pure maths plus one
// loader of the shipped weights (models/pets/head.json, written by `npm run train:pets`).
// A head is: centre the frozen vector on the training mean, optionally project it with a
// learned linear map, L2-normalise. Without learned weights the frozen vector itself (centred)
// is the embedding: the measured baseline.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnimalKind } from './types.js';

/** Which frozen feature blocks a head consumes, in order, and the weight each block gets. */
export interface FeatureSpec {
  blocks: Array<{ name: FeatureBlockName; weight: number }>;
}
/**
 * `grid`: out_relu averaged over 2×2 overlapping cells (rows/cols 0–3 and 3–6 of 7), 4 × 1280,
 * cell-major; it keeps where things are on aligned crops (eyes, nose, ears), which the global
 * poolings throw away.
 */
export type FeatureBlockName = 'hsv' | 'mnv2' | 'mnv2max' | 'mnv2mid' | 'cn' | 'grid';

export interface HeadWeights {
  /** Mean of the (block-normalised, weighted) frozen vectors of the training animals. */
  mean: number[] | null;
  /** Learned per-feature weights applied after centring (a diagonal metric); absent = all 1. */
  scale?: number[] | null;
  /** Linear projection, row-major [outDim][inDim]; null = identity (frozen baseline). */
  projection: number[][] | null;
}

/** A projection as stored: int8 per row with one scale per row (4× smaller than float32). */
export interface QuantizedProjection {
  rows: number;
  cols: number;
  scales: number[];
  /** base64 of rows × cols int8 values, row-major. */
  data: string;
}

/**
 * A linear species classifier on frozen features (a two-class Fisher discriminant trained on
 * the train animals): score = w·(frozen − mean) + b, the class means at +1 (cat) and −1 (dog).
 * It only vetoes: a profile whose animal looks like the other species than the detector says
 * is refused (subject.ts), never relabelled.
 */
export interface SpeciesClassifier {
  features: FeatureSpec;
  mean: number[];
  w: number[];
  b: number;
}

export interface PetHeadsFile {
  version: 1;
  features: FeatureSpec;
  species?: SpeciesClassifier;
  kinds: Record<AnimalKind, HeadWeights & { projectionQ8?: QuantizedProjection }>;
  /** How the file was produced (script, seed, data split), for humans. */
  provenance?: Record<string, unknown>;
}

export interface PetHeads {
  features: FeatureSpec;
  species?: SpeciesClassifier;
  kinds: Record<AnimalKind, HeadWeights>;
  /** true when trained weights (projection or per-feature scale) are loaded for the kind. */
  trained: Record<AnimalKind, boolean>;
  /**
   * Which embedding space each kind's head makes (a digest of its blocks and weights): stored in a
   * pet profile at training, so a profile made under another head never matches (recognize.ts).
   */
  ids: Record<AnimalKind, string>;
}

/** Digest of the blocks and one kind's weights (pure): equal exactly when the embeddings are comparable. */
export function headId(kind: AnimalKind, features: FeatureSpec, w: HeadWeights): string {
  const h = createHash('sha256').update(JSON.stringify({ kind, features, mean: w.mean, scale: w.scale ?? null, projection: w.projection }));
  return `${kind}:${h.digest('hex').slice(0, 12)}`;
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
    const kinds: Record<AnimalKind, HeadWeights> = { cat: { mean: null, projection: null }, dog: { mean: null, projection: null } };
    return {
      features: DEFAULT_FEATURES,
      kinds,
      trained: { cat: false, dog: false },
      ids: { cat: headId('cat', DEFAULT_FEATURES, kinds.cat), dog: headId('dog', DEFAULT_FEATURES, kinds.dog) },
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
  const kinds = {} as Record<AnimalKind, HeadWeights>;
  for (const kind of ['cat', 'dog'] as const) {
    const w = f.kinds[kind];
    const projection = w.projectionQ8 ? decodeProjection(w.projectionQ8) : (w.projection ?? null);
    const d = w.mean?.length ?? projection?.[0]?.length ?? null;
    if (projection && projection.some((row) => row.length !== d)) throw new Error(`${name}: ${kind} projection rows differ in length`);
    if (w.scale && d !== null && w.scale.length !== d) throw new Error(`${name}: ${kind} scale has ${w.scale.length} entries, expected ${d}`);
    kinds[kind] = { mean: w.mean ?? null, scale: w.scale ?? null, projection };
  }
  const trained = (k: AnimalKind) => !!kinds[k].projection || !!kinds[k].scale;
  const sp = f.species;
  if (sp && (sp.w.length !== sp.mean.length || !sp.features?.blocks?.length || !Number.isFinite(sp.b))) throw new Error(`${name}: malformed species classifier`);
  return {
    features: f.features,
    ...(sp ? { species: sp } : {}),
    kinds,
    trained: { cat: trained('cat'), dog: trained('dog') },
    ids: { cat: headId('cat', f.features, kinds.cat), dog: headId('dog', f.features, kinds.dog) },
  };
}

/** Row-wise int8 quantisation of a projection (pure). */
export function encodeProjection(m: ArrayLike<number>[]): QuantizedProjection {
  const rows = m.length;
  const cols = m[0]?.length ?? 0;
  const q = new Int8Array(rows * cols);
  const scales: number[] = [];
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(m[r][c]));
    const scale = max / 127 || 1;
    scales.push(scale);
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.round(m[r][c] / scale);
  }
  return { rows, cols, scales, data: Buffer.from(q.buffer).toString('base64') };
}

export function decodeProjection(p: QuantizedProjection): number[][] {
  const buf = Buffer.from(p.data, 'base64');
  if (buf.length !== p.rows * p.cols || p.scales.length !== p.rows) throw new Error('quantised projection: size mismatch');
  const q = new Int8Array(buf.buffer, buf.byteOffset, buf.length);
  return Array.from({ length: p.rows }, (_, r) => Array.from(q.subarray(r * p.cols, (r + 1) * p.cols), (v) => v * p.scales[r]));
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
  if (head.mean && head.mean.length !== x.length) throw new RangeError(`head expects ${head.mean.length} features, got ${x.length}`);
  if (head.scale && head.scale.length !== x.length) throw new RangeError(`head expects ${head.scale.length} features, got ${x.length}`);
  for (let i = 0; i < x.length; i++) x[i] = (frozen[i] - (head.mean ? head.mean[i] : 0)) * (head.scale ? head.scale[i] : 1);
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

/** Species classifier score of a frozen vector (pure): > 0 looks like a cat, < 0 like a dog. */
export function speciesScore(frozen: ArrayLike<number>, c: SpeciesClassifier): number {
  if (frozen.length !== c.w.length) throw new RangeError(`species classifier expects ${c.w.length} features, got ${frozen.length}`);
  let s = c.b;
  for (let i = 0; i < c.w.length; i++) s += c.w[i] * (frozen[i] - c.mean[i]);
  return s;
}
