// Re-identification measures on embedded photos (pure): genuine/impostor pair scores, ROC-AUC,
// TAR at FAR, and identification in households of n pets of one species.
import { rocAuc, similarity, tarAtFar, thresholdAtFar } from '../../src/identity/pets/thresholds.js';
import { rng, sameBurst } from './dataset.js';

export interface Embedded {
  animal: string;
  file: string;
  embedding: ArrayLike<number>;
}

/** Every same-animal pair (bursts excluded) and every different-animal pair. */
export function pairScores(items: readonly Embedded[], maxImpostors = 400_000, seed = 1) {
  const genuine: number[] = [];
  const impostor: number[] = [];
  const n = items.length;
  const totalPairs = (n * (n - 1)) / 2;
  const keep = Math.min(1, maxImpostors / Math.max(1, totalPairs));
  const r = rng(seed);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = items[i];
      const b = items[j];
      if (a.animal === b.animal) {
        if (!sameBurst(a.file, b.file)) genuine.push(similarity(a.embedding, b.embedding));
      } else if (keep >= 1 || r() < keep) impostor.push(similarity(a.embedding, b.embedding));
    }
  }
  return { genuine, impostor };
}

export interface VerifyReport {
  photos: number;
  animals: number;
  genuinePairs: number;
  impostorPairs: number;
  auc: number;
  tarFar1: number;
  cutFar1: number;
  tarFar01: number;
  cutFar01: number;
}

export function verify(items: readonly Embedded[]): VerifyReport {
  const { genuine, impostor } = pairScores(items);
  const f1 = tarAtFar(genuine, impostor, 0.01);
  const f01 = tarAtFar(genuine, impostor, 0.001);
  return {
    photos: items.length,
    animals: new Set(items.map((i) => i.animal)).size,
    genuinePairs: genuine.length,
    impostorPairs: impostor.length,
    auc: rocAuc(genuine, impostor),
    tarFar1: f1.tar,
    cutFar1: f1.threshold,
    tarFar01: f01.tar,
    cutFar01: f01.threshold,
  };
}

function centroid(vs: ArrayLike<number>[]): Float32Array {
  const d = vs[0].length;
  const c = new Float32Array(d);
  for (const v of vs) for (let i = 0; i < d; i++) c[i] += v[i];
  let s = 0;
  for (let i = 0; i < d; i++) s += c[i] * c[i];
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < d; i++) c[i] /= n;
  return c;
}

export interface HouseholdTrial {
  /** Best similarity to the true pet's profile and to the best other pet's profile. */
  own: number;
  other: number;
}

/**
 * Households of `size` animals of one species: each animal's profile is the centroid of up to
 * `enrol` photos; one other photo of one member (not from a burst of its enrolment photos)
 * is the query. Returns the query's similarity to its own profile and to the best other one.
 */
export function householdTrials(items: readonly Embedded[], size: number, trials: number, enrol: number, seed = 7): HouseholdTrial[] {
  const byAnimal = new Map<string, Embedded[]>();
  for (const it of items) byAnimal.set(it.animal, [...(byAnimal.get(it.animal) ?? []), it]);
  const ids = [...byAnimal.keys()].filter((id) => byAnimal.get(id)!.length >= 2);
  if (ids.length < size) return [];
  const r = rng(seed);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const out: HouseholdTrial[] = [];
  for (let t = 0; t < trials; t++) {
    const members: string[] = [];
    while (members.length < size) {
      const id = pick(ids);
      if (!members.includes(id)) members.push(id);
    }
    const target = members[0];
    const photos = [...byAnimal.get(target)!];
    const query = photos.splice(Math.floor(r() * photos.length), 1)[0];
    const enrolOwn = photos.filter((p) => !sameBurst(p.file, query.file)).slice(0, enrol);
    if (enrolOwn.length === 0) {
      t--;
      if (out.length === 0 && t < -trials) break; // no usable animal: give up rather than loop
      continue;
    }
    const own = similarity(query.embedding, centroid(enrolOwn.map((p) => p.embedding)));
    let other = -1;
    for (const m of members.slice(1)) {
      const c = centroid(byAnimal.get(m)!.slice(0, enrol).map((p) => p.embedding));
      other = Math.max(other, similarity(query.embedding, c));
    }
    out.push({ own, other });
  }
  return out;
}

/** One-to-one-free identification at a cut: best profile wins if it reaches the cut. */
export function householdOutcome(trials: readonly HouseholdTrial[], cut: number) {
  let correct = 0;
  let wrong = 0;
  let unknown = 0;
  for (const t of trials) {
    const best = Math.max(t.own, t.other);
    if (best < cut) unknown++;
    else if (t.own >= t.other) correct++;
    else wrong++;
  }
  const n = trials.length || 1;
  return { correct: correct / n, wrong: wrong / n, unknown: unknown / n, trials: trials.length };
}

/** The lowest cut at which "wrong animal" stays within `maxWrong` (searched on the given trials). */
export function householdCut(trials: readonly HouseholdTrial[], maxWrong: number): number {
  const cands = [...new Set(trials.flatMap((t) => [t.own, t.other]))].sort((a, b) => a - b);
  for (const c of cands) if (householdOutcome(trials, c).wrong <= maxWrong) return c;
  return 1;
}

export { thresholdAtFar };
