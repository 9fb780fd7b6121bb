// Who a profile is of, and the profile of an animal. Pure: from per-photo analyses.
//
// `chooseSubjectKind` compares how often each kind of subject appears: the person who appears
// most often (the largest face cluster, as training of people always did) against the number
// of photos showing a cat and showing a dog. The winner decides which decision runs: people go
// through train.ts's face logic unchanged, cats and dogs through `decideAnimalProfile` here.
// One profile is one kind: the other kinds' photos are refused ("someone else").
//
// The individual animal is found as a person is (train.ts): average-linkage clustering of the
// species' animals across photos with one animal per photo per cluster, the largest cluster is
// the subject, members unlike the rest are peeled off and photos whose animal matches the
// subject's centroid are taken back. Animal embeddings separate individuals far less well than
// face embeddings, so the cuts are per species (cuts.ts) and a split subject ends in a clear
// refusal ("only 3 photos show the same cat") rather than a guess. (Peeling from the whole set
// instead merges two cats: a mixed centroid is close to both.)

import type { PhotoReport } from '../../store/types.js';
import { clusterFaces } from '../cluster.js';
import { REASONS, screenFace } from '../screen.js';
import { CLUSTER_THRESHOLD } from '../thresholds.js';
import type { AnimalKind, AnimalObservation, Box, DetectionAnalysis, ImageAnalysis, ProfileModel, SubjectKind } from '../types.js';
import { centroid, cosine } from '../vectors.js';
import { PET_REASONS, animalReferenceQuality, animalSize, screenAnimal, type PetQualityLimits } from './screen.js';
import { humanFaces } from './veto.js';

/** What the engine said about a photo (as train.ts's PhotoInput). */
export type SubjectInput = ImageAnalysis | { failed: 'fetch' | 'decode' | 'tooLarge'; detail?: string };
/** The same with animals as boxes only (training's first pass): enough to choose the kind. */
export type DetectionInput = DetectionAnalysis | { failed: 'fetch' | 'decode' | 'tooLarge'; detail?: string };

/** Similarity cuts of one species' re-identification embedding (cosine). */
export interface AnimalCuts {
  /** Average-linkage clustering cut (photo-vs-photo cosine) for who is in which photos. */
  cluster: number;
  /** Leave-one-out cut to stay in a profile during training (a wrong animal spoils every match). */
  admit: number;
  /** Stored match threshold of a profile trained from `photos` accepted animals. */
  match(photos: number): number;
}

export interface KindChoice {
  /** The kind that appears most often, or null when nothing appears or two kinds tie. */
  kind: SubjectKind | null;
  /** Photos of the most frequent person, and photos showing a cat / a dog. */
  counts: Record<SubjectKind, number>;
  /** The kinds that tie for most photos (two or more), else empty. */
  tied: SubjectKind[];
}

/**
 * Pure: which kind of subject appears most often. The person count is the largest cluster of
 * screened faces plus the photos whose faces all failed screening (faces the veto gives to an
 * animal are not people); an animal's count is the
 * number of photos showing one of its species (screened or not: a set of blurry cat photos is
 * still about a cat, and should be refused for blur, not for "no face").
 */
export function chooseSubjectKind(inputs: readonly DetectionInput[], skip: ReadonlySet<number> = new Set()): KindChoice {
  const items: Array<{ photo: number; embedding: number[] }> = [];
  const photosWith: Record<AnimalKind, Set<number>> = { cat: new Set(), dog: new Set() };
  let onlyRefusedFaces = 0;
  inputs.forEach((input, photo) => {
    if ('failed' in input || skip.has(photo)) return;
    const faces = humanFaces(input);
    const usable = faces.filter((f) => screenFace(f).accepted);
    for (const f of usable) items.push({ photo, embedding: f.embedding });
    if (faces.length > 0 && usable.length === 0) onlyRefusedFaces++;
    for (const a of input.animals ?? []) photosWith[a.kind].add(photo);
  });
  const clusters = clusterFaces(items, CLUSTER_THRESHOLD);
  const counts: Record<SubjectKind, number> = {
    // Photos whose faces all failed screening may show the person too (blurry, dark): counted,
    // so a set of poor photos of someone is refused for its quality, not taken for a pet.
    person: (clusters.length > 0 ? clusters[0].length : 0) + onlyRefusedFaces,
    cat: photosWith.cat.size,
    dog: photosWith.dog.size,
  };
  const best = Math.max(counts.person, counts.cat, counts.dog);
  if (best === 0) return { kind: null, counts, tied: [] };
  const top = (['person', 'cat', 'dog'] as const).filter((k) => counts[k] === best);
  return top.length > 1 ? { kind: null, counts, tied: [...top] } : { kind: top[0], counts, tied: [] };
}

/**
 * Two animals this similar come from the same capture (the engine is deterministic): the same
 * photo sent twice. As train.ts's DUPLICATE_SIMILARITY for faces.
 */
export const ANIMAL_DUPLICATE_SIMILARITY = 0.9999;

/** For each photo, the earlier photo whose animals it repeats exactly, or -1. */
export function findAnimalDuplicates(inputs: readonly SubjectInput[]): number[] {
  const dup = inputs.map(() => -1);
  inputs.forEach((b, j) => {
    if ('failed' in b || !b.animals?.length) return;
    for (let i = 0; i < j; i++) {
      const a = inputs[i];
      if (dup[i] >= 0 || 'failed' in a || a.animals?.length !== b.animals.length) continue;
      const same = b.animals.every((x) =>
        a.animals!.some((y) => y.kind === x.kind && y.embedding.length === x.embedding.length && cosine(x.embedding, y.embedding) >= ANIMAL_DUPLICATE_SIMILARITY),
      );
      if (same) {
        dup[j] = i;
        return;
      }
    }
  });
  return dup;
}

interface AnimalRef {
  photo: number;
  index: number;
  obs: AnimalObservation;
}

/**
 * Peels `items` down to a self-consistent group: while some item's cosine to the centroid of
 * the others is below `admit`, the worst goes. At most one item per photo stays (a photo's
 * other animals of the species are different animals); returns [kept, dropped].
 */
export function peel<T extends { photo: number; embedding: readonly number[] }>(items: readonly T[], admit: number): [T[], T[]] {
  // One per photo to start with: the item most like the rest of the set.
  const all = centroid(items.map((i) => i.embedding));
  const byPhoto = new Map<number, T>();
  for (const it of items) {
    const cur = byPhoto.get(it.photo);
    if (!cur || cosine(it.embedding, all) > cosine(cur.embedding, all)) byPhoto.set(it.photo, it);
  }
  let kept = [...byPhoto.values()];
  const dropped: T[] = items.filter((i) => !kept.includes(i));
  while (kept.length >= 2) {
    let worst = -1;
    let worstSim = Infinity;
    kept.forEach((it, k) => {
      const rest = centroid(kept.filter((_, j) => j !== k).map((g) => g.embedding));
      const s = cosine(it.embedding, rest);
      if (s < worstSim) {
        worstSim = s;
        worst = k;
      }
    });
    if (worstSim >= admit) break;
    dropped.push(kept[worst]);
    kept = kept.filter((_, j) => j !== worst);
  }
  return [kept.sort((a, b) => a.photo - b.photo), dropped];
}

export type AnimalDecision =
  | { ok: true; model: ProfileModel; reports: PhotoReport[] }
  | { ok: false; message: string; reports: PhotoReport[]; subject?: SubjectKind };

/**
 * A peeled-off animal this close to the admission cut is more likely the subject looking unlike
 * itself (pose, light) than another animal: the report says so instead of "someone else".
 */
export const OUTLIER_MARGIN = 0.05;

/** Reference photos kept for base models (as train.ts MAX_REFERENCE_PHOTOS). */
const MAX_REFERENCES = 5;

/**
 * Pure: whether the species classifier's look of the subject's animals (mean `looksCat`, > 0
 * cat-like) contradicts the detector's species. CenterNet calls some dogs cats in every photo
 * (docs/pets.md), so summing its labels cannot catch them; the look is the second opinion, and
 * a disagreement refuses the profile rather than filing the animal under the wrong species.
 * Observations without a look (no classifier in head.json) never conflict.
 */
export function speciesLookConflict(obs: ReadonlyArray<{ looksCat?: number }>, kind: AnimalKind): { mean: number; photos: number } | null {
  const looks = obs.flatMap((o) => (typeof o.looksCat === 'number' ? [o.looksCat] : []));
  if (looks.length === 0) return null;
  const mean = looks.reduce((a, b) => a + b, 0) / looks.length;
  return (kind === 'cat' ? mean < 0 : mean > 0) ? { mean, photos: looks.length } : null;
}

/** Pure: the profile of the `kind` that appears most often in these photos, or an explained refusal. */
export function decideAnimalProfile(
  urls: readonly string[],
  inputs: readonly SubjectInput[],
  kind: AnimalKind,
  min: number,
  tier: string,
  cuts: AnimalCuts,
  limits?: PetQualityLimits,
  /** Take back photos whose animal matches the subject's centroid (default true). */
  recover = true,
): AnimalDecision {
  const dup = findAnimalDuplicates(inputs);

  const usable: AnimalRef[] = [];
  const rejected = new Map<number, AnimalRef & { reasons: string[] }>(); // per photo: its largest rejected animal
  inputs.forEach((input, photo) => {
    if ('failed' in input || dup[photo] >= 0) return;
    (input.animals ?? []).forEach((obs, index) => {
      if (obs.kind !== kind) return;
      const s = screenAnimal(obs, limits);
      if (s.accepted) usable.push({ photo, index, obs });
      else if (!rejected.has(photo) || animalSize(obs) > animalSize(rejected.get(photo)!.obs)) rejected.set(photo, { photo, index, obs, reasons: s.reasons });
    });
  });

  const items = usable.map((u) => ({ ...u, embedding: u.obs.embedding }));
  // Who is in which photos (average linkage, one animal per photo per cluster); the largest
  // cluster is the subject. A second cluster as large: nobody can tell which animal is meant.
  const clusters = clusterFaces(items, cuts.cluster);
  const first = clusters.length > 0 ? clusters[0].map((i) => items[i]) : [];
  const second = clusters.length > 1 ? clusters[1].map((i) => items[i]) : [];
  const tied = first.length >= min && second.length === first.length;
  // Drop members unlike the rest, then take back photos whose animal matches the subject's
  // centroid (one animal split over two clusters), both at the admission cut.
  let subject = first;
  if (!tied && first.length >= 3) {
    subject = peel(first, cuts.admit)[0];
    const c = centroid(subject.map((x) => x.embedding));
    const inSubject = new Set(subject.map((x) => x.photo));
    const back = new Map<number, { item: (typeof items)[number]; s: number }>();
    for (const it of recover ? items : []) {
      if (inSubject.has(it.photo) || first.includes(it)) continue;
      const sim = cosine(it.embedding, c);
      if (sim >= cuts.admit && sim > (back.get(it.photo)?.s ?? -Infinity)) back.set(it.photo, { item: it, s: sim });
    }
    subject = [...subject, ...[...back.values()].map((b) => b.item)].sort((a, b) => a.photo - b.photo);
  }
  const subjectCentroid = subject.length > 0 ? centroid(subject.map((s) => s.embedding)) : null;
  const inSubject = new Set(subject.map((s) => s.photo));
  const inSecond = new Set(tied ? second.map((s) => s.photo) : []);

  const reports: PhotoReport[] = inputs.map((input, photo) => {
    const url = urls[photo];
    if ('failed' in input) return { url, accepted: false, reasons: [REASONS[input.failed]] };
    if (dup[photo] >= 0) return { url, accepted: false, reasons: [PET_REASONS.duplicate] };
    if (tied && (inSubject.has(photo) || inSecond.has(photo))) return { url, accepted: false, reasons: [PET_REASONS.ambiguous] };
    if (!tied && inSubject.has(photo)) return { url, accepted: true, reasons: [] };
    const own = (input.animals ?? []).filter((a) => a.kind === kind);
    if (own.length === 0) {
      if ((input.animals ?? []).length > 0) return { url, accepted: false, reasons: [PET_REASONS.otherSpecies] };
      if (humanFaces(input).length > 0 || (input.persons ?? []).length > 0) return { url, accepted: false, reasons: [PET_REASONS.someoneElse] };
      return { url, accepted: false, reasons: [PET_REASONS.noAnimal] };
    }
    const bad = rejected.get(photo);
    if (bad && !items.some((i) => i.photo === photo)) return { url, accepted: false, reasons: bad.reasons };
    // Accepted animals that were peeled off: another animal, or the subject looking unlike itself.
    const best = Math.max(...items.filter((i) => i.photo === photo).map((i) => (subjectCentroid ? cosine(i.embedding, subjectCentroid) : 0)));
    return { url, accepted: false, reasons: [best >= cuts.admit - OUTLIER_MARGIN ? PET_REASONS.outlier : PET_REASONS.someoneElse] };
  });

  const noun = kind;
  if (tied) {
    return {
      ok: false,
      reports,
      subject: kind,
      message:
        `No single ${noun} appears most often: two different ${noun}s appear in ${subject.length} photos each. ` +
        `Replace photos so the ${noun} to learn is in more photos than any other.`,
    };
  }
  if (subject.length < min) {
    const bad = reports
      .map((r, i) => ({ r, i }))
      .filter(({ r }) => !r.accepted)
      .map(({ r, i }) => `#${i + 1} (${r.reasons.join(', ')})`);
    const what =
      subject.length === 0
        ? `No photo shows a ${noun} clearly enough to learn from`
        : `Only ${subject.length} of ${urls.length} photos show the same ${noun} clearly enough`;
    return { ok: false, reports, subject: kind, message: `${what}; ${tier} training needs at least ${min}. Replace these photos: ${bad.join('; ')}.` };
  }

  const look = speciesLookConflict(subject.map((s) => s.obs), kind);
  if (look) {
    const other = kind === 'cat' ? 'dog' : 'cat';
    return {
      ok: false,
      reports,
      subject: kind,
      message:
        `The detector calls the animal in these photos a ${kind}, but it looks more like a ${other} (mean species score ${look.mean.toFixed(2)} over ${look.photos} photos): ` +
        `the species is unclear, so no profile is made. Use photos where the animal is seen whole and clearly.`,
    };
  }

  const embeddings = subject.map((s) => [...s.embedding]);
  const ranked = [...subject].sort((a, b) => animalReferenceQuality(b.obs) - animalReferenceQuality(a.obs));
  const model: ProfileModel = {
    version: 1,
    subject: kind,
    embeddings,
    centroid: centroid(embeddings),
    threshold: cuts.match(subject.length),
    ...(subject[0].obs.embedder ? { embedder: subject[0].obs.embedder } : {}),
    referencePhotos: ranked.slice(0, MAX_REFERENCES).map((s) => s.photo),
    picture: { photo: ranked[0].photo, box: [...ranked[0].obs.box] as Box },
  };
  return { ok: true, model, reports };
}
