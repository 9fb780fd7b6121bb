// The shared pets set (../shared/testdata/pets), its split BY ANIMAL into train / tune /
// report parts, and which same-cat pairs are bursts (excluded from genuine pairs). The split
// and burst rules are pure functions of the file names and a fixed seed, so training, tuning
// and every benchmark see the same parts.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { AnimalKind } from '../../src/identity/pets/types.js';

export const TESTDATA = process.env.LIKENESS_TESTDATA ?? new URL('../../../../shared/testdata', import.meta.url).pathname;
export const PETS_DIR = path.join(TESTDATA, 'pets');
export const SPLIT_SEED = 20261201;

export type Part = 'train' | 'tune' | 'report';

export interface PetPhoto {
  kind: AnimalKind;
  /** Animal id, unique across kinds: `dog:123`, `cat:leo`. */
  animal: string;
  /** Path relative to PETS_DIR. */
  file: string;
}

/** Deterministic PRNG (mulberry32). */
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

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const r = rng(seed);
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * Dogs: 65% of dog ids train the head, 10% tune thresholds, 25% report. Cats (15 only): 4
 * train, 5 tune, 6 report. Ids are shuffled with SPLIT_SEED, then cut in that order.
 */
export const SPLIT_FRACTIONS: Record<AnimalKind, { train: number; tune: number }> = {
  dog: { train: 0.65, tune: 0.1 },
  cat: { train: 4 / 15, tune: 5 / 15 },
};

export function splitAnimals(ids: readonly string[], kind: AnimalKind, seed = SPLIT_SEED): Map<string, Part> {
  const order = shuffled([...ids].sort(), seed + (kind === 'cat' ? 1 : 0));
  const f = SPLIT_FRACTIONS[kind];
  const nTrain = Math.round(order.length * f.train);
  const nTune = Math.round(order.length * f.tune);
  const parts = new Map<string, Part>();
  order.forEach((id, i) => parts.set(id, i < nTrain ? 'train' : i < nTrain + nTune ? 'tune' : 'report'));
  return parts;
}

/** Every photo of the set, sorted (dogs: `dogs/<id>/*.jpg`, cats: `cats/<name>/*.jpg`). */
export function listPets(dir = PETS_DIR): PetPhoto[] {
  const out: PetPhoto[] = [];
  for (const [kind, sub] of [['cat', 'cats'], ['dog', 'dogs']] as const) {
    for (const id of readdirSync(path.join(dir, sub)).sort()) {
      for (const f of readdirSync(path.join(dir, sub, id)).sort()) {
        if (/\.(jpe?g|png)$/i.test(f)) out.push({ kind, animal: `${kind}:${id}`, file: `${sub}/${id}/${f}` });
      }
    }
  }
  return out;
}

/** Seconds since midnight for `YYYY-MM-DD_HH-MM-SS.jpg` names, else null. */
export function photoTime(file: string): number | null {
  const m = /(\d{4})-(\d{2})-(\d{2})_(\d{2})-(\d{2})-(\d{2})/.exec(path.basename(file));
  if (!m) return null;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
}

/**
 * `<n>p.jpg` is a re-framed copy of `<n>.jpg` (one cat folder has both): the same shot, so the
 * pair is no evidence of recognition. Returns `<n>` for such names, else null. (`<n>_<k>.jpg`
 * names in other folders are distinct photos: the suffix is a label, not a session.)
 */
export function photoShot(file: string): string | null {
  const m = /^(\d+)p?\.jpe?g$/i.exec(path.basename(file));
  return m ? m[1] : null;
}

/** Photos taken this close together are one burst. */
export const BURST_SECONDS = 10;

/**
 * True when two photos of the SAME animal belong to one burst (near-duplicates): timestamps
 * within BURST_SECONDS, or a shot and its re-framed copy. Such pairs are left out of
 * genuine pairs, or similarity figures flatter the embedding.
 */
export function sameBurst(a: string, b: string): boolean {
  const ta = photoTime(a);
  const tb = photoTime(b);
  if (ta !== null && tb !== null) return Math.abs(ta - tb) <= BURST_SECONDS;
  const sa = photoShot(a);
  return sa !== null && sa === photoShot(b);
}

let listed: PetPhoto[] | null | undefined;
/** The photo folder's listing, read once per process (null without the folder: a cache copied elsewhere). */
function wholeSet(): PetPhoto[] | null {
  if (listed === undefined) {
    try {
      listed = listPets();
    } catch {
      listed = null;
    }
  }
  return listed;
}

/**
 * Split part of every animal. The split is over ALL animals of the set (listPets), never only the
 * cached ones: splitAnimals cuts a shuffled id list, so splitting a partial cache would give an
 * animal another part than the full set does (a head fitted on one cache could then be measured
 * on its own training dogs under the other). Without the photo folder (a cache copied elsewhere)
 * the cached ids are split, and the parts are only comparable within that cache.
 */
export function partsOfAnimals(photos: readonly { kind: AnimalKind; animal: string }[], everyAnimal?: readonly { kind: AnimalKind; animal: string }[]): Map<string, Part> {
  const all = everyAnimal ?? wholeSet() ?? photos;
  const parts = new Map<string, Part>();
  for (const kind of ['cat', 'dog'] as const) {
    const ids = [...new Set(all.filter((p) => p.kind === kind).map((p) => p.animal))];
    for (const [id, part] of splitAnimals(ids, kind)) parts.set(id, part);
  }
  return parts;
}
