// Hand-made face observations for the pure-logic tests: embeddings built from a shared "face"
// direction, a per-identity direction and per-photo noise, so same-person and stranger
// similarities are known by construction (≈0.99 and ≈0.89, like the real 128-d embeddings).
import type { Box, FaceObservation } from '../../src/identity/types.js';
import { normalise } from '../../src/identity/vectors.js';

export const DIM = 128;

/** Deterministic PRNG (mulberry32) so every run builds the same vectors. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussianUnit(rand: () => number, dim = DIM): number[] {
  const v: number[] = [];
  for (let i = 0; i < dim; i++) {
    const u = Math.max(1e-12, rand());
    v.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand()));
  }
  return normalise(v);
}

export class World {
  private rand: () => number;
  private common: number[];
  private ids = new Map<string, number[]>();
  constructor(seed = 1, private readonly shared = 3, private readonly noise = 0.35) {
    this.rand = rng(seed);
    this.common = gaussianUnit(this.rand);
  }
  identity(name: string): number[] {
    let v = this.ids.get(name);
    if (!v) this.ids.set(name, (v = gaussianUnit(this.rand)));
    return v;
  }
  /** One photo's embedding of `name`. */
  embed(name: string, noise = this.noise): number[] {
    const id = this.identity(name);
    const n = gaussianUnit(this.rand);
    return normalise(this.common.map((c, i) => this.shared * c + id[i] + noise * n[i]));
  }
}

/** A face that passes every quality check unless overridden. */
export function face(embedding: number[], over: Partial<FaceObservation> = {}): FaceObservation {
  return {
    box: [100, 80, 200, 220] as Box,
    score: 0.95,
    embedding,
    pose: { yaw: 0, pitch: 0, roll: 0 },
    sharpness: 300,
    blur: 0.9,
    brightness: 140,
    clipped: 0.01,
    real: 0.9,
    visibility: 0.95,
    ...over,
  };
}
