// Training a profile: screen every photo, embed every face, find the person who appears most
// often, drop outliers, and produce the stored ProfileModel plus a per-photo report.
// `decideProfile` is the pure decision (tested with hand-made observations); `trainProfile`
// runs the engine over the photos and cuts the profile picture.

import sharp from 'sharp';
import { ApiError } from '../errors.js';
import type { PhotoReport } from '../store/types.js';
import { clusterFaces, type ClusterItem } from './cluster.js';
import { REASONS, primaryFace, referenceQuality, screenFace, type QualityLimits, type Reason } from './screen.js';
import { CLUSTER_THRESHOLD, TRAINING_ADMIT_THRESHOLD, centroidThreshold } from './thresholds.js';
import type { AnimalKind, Box, DetectionAnalysis, FaceObservation, IdentityEngine, ImageAnalysis, ProfileModel, SubjectKind } from './types.js';
import { ANIMAL_CUTS } from './pets/cuts.js';
import { PET_REASONS, type PetQualityLimits } from './pets/screen.js';
import { chooseSubjectKind, decideAnimalProfile, type AnimalCuts, type KindChoice } from './pets/subject.js';
import { FACE_VETO, insideShare, withoutAnimalFaces, type VetoLimits } from './pets/veto.js';
import { centroid, cosine } from './vectors.js';

export type TrainingTier = 'standard' | 'fast';

export interface TrainingPhoto {
  url: string;
  /** The fetched bytes (any format sharp decodes). */
  image?: Buffer;
  /** Set by the caller when fetching failed; the photo is reported, not analysed. */
  error?: string;
}

export type TrainingOutcome =
  | { ok: true; model: ProfileModel; reports: PhotoReport[]; picture: Buffer /* JPEG */ }
  | { ok: false; message: string; reports: PhotoReport[]; subject?: SubjectKind };

/**
 * Fewest accepted photos a profile may be built from; the contract's tiers take 10–50
 * (standard) and 5–10 (fast) uploads. The centroid itself is not the limit: its acceptance of
 * genuine faces is 99.4% from 1 photo and 99.7–99.8% from 2–10 (bench/identity-identify.ts).
 * The limit is the training decision: "the person who appears most often" must be clearly
 * ahead of everyone else in the set, and the outlier rule needs enough faces that one wrong or
 * drifted face is outvoted. Fast: 4 of its at least 5 uploads (one bad photo tolerated); the
 * hard dominant-subject benchmark (fast tier, 4–5 subject photos among collages only) is 99%
 * correct with it and never took a stranger in. Standard: 5, i.e. up to half of a minimal
 * upload may be replaced, and enough accepted photos to fill MAX_REFERENCE_PHOTOS.
 */
export const MIN_ACCEPTED: Record<TrainingTier, number> = { standard: 5, fast: 4 };

/** Reference photos kept for base models (most providers take at most 4–6 reference images). */
export const MAX_REFERENCE_PHOTOS = 5;

/**
 * A clustered face is an outlier when its cosine to the centroid of the subject's OTHER faces
 * is below the training admission cut (thresholds.ts): it must not shape the profile.
 * Strangers that average linkage let in are removed here, as are faces whose embedding drifted
 * (a hand over an eye: leave-one-out 0.899 on caltech p20/0325).
 */
export const OUTLIER_THRESHOLD = TRAINING_ADMIT_THRESHOLD;

/**
 * Two faces this similar come from the same capture: the engine is deterministic, so the same
 * photo sent twice (or once as JPEG, once as PNG) embeds identically (cosine 1), while the
 * closest distinct photos of one person measured 0.9987 (caltech burst shots, 644 photos).
 * Re-encoded or resized copies (0.998–0.999) are not caught: they overlap burst shots.
 */
export const DUPLICATE_SIMILARITY = 0.9999;

/**
 * For each photo, the earlier photo it is a copy of (same number of faces, every face matching
 * one of that photo's at DUPLICATE_SIMILARITY), or -1. A copy adds no information, but counted
 * again it would make one photo's person "appear most often" and fill MIN_ACCEPTED by itself.
 */
export function findDuplicates(inputs: readonly DetectionPhotoInput[]): number[] {
  const dup = inputs.map(() => -1);
  inputs.forEach((b, j) => {
    if ('failed' in b || b.faces.length === 0) return;
    for (let i = 0; i < j; i++) {
      const a = inputs[i];
      if (dup[i] >= 0 || 'failed' in a || a.faces.length !== b.faces.length) continue;
      if (b.faces.every((fb) => a.faces.some((fa) => cosine(fa.embedding, fb.embedding) >= DUPLICATE_SIMILARITY))) {
        dup[j] = i;
        return;
      }
    }
  });
  return dup;
}

/** What the engine said about each photo, or why there is nothing to say. */
export type PhotoInput = ImageAnalysis | { failed: FailureKind; detail?: string };
/** The same from training's first pass: cats and dogs as boxes only, not embedded (IdentityEngine.analyzeForSubject). */
export type DetectionPhotoInput = DetectionAnalysis | { failed: FailureKind; detail?: string };
export type FailureKind = 'fetch' | 'decode' | 'tooLarge';

/**
 * Pure: who the photos are of, decideProfile's first step: faces the veto gives to an animal
 * are dropped, copies of a photo are not counted, then the most frequent kind wins
 * (pets/subject.ts). Needs animal boxes only (a person's set is decided without embeddings).
 */
export function chooseTrainingSubject(inputs: readonly DetectionPhotoInput[]): KindChoice {
  const clean = inputs.map((i) => ('failed' in i ? i : withoutAnimalFaces(i)));
  const faceCopies = new Set(findDuplicates(clean).flatMap((d, i) => (d >= 0 ? [i] : [])));
  return chooseSubjectKind(clean, faceCopies);
}

/**
 * Pure: the photos training's second pass analyses in full (512 px detector and embeddings).
 * Only a photo that is plainly a person's is final after the fast first pass: no cat or dog
 * found, at least one face, and every face inside a person box. Everything else may show an
 * animal the fast detector missed (it misses some dogs whose heads the face detector took for
 * faces, bench/pets-detector-size.ts), so its boxes, veto and embeddings are the full
 * analysis's, the one the veto limits and the animal cuts were calibrated on.
 */
export function photosForFullPetAnalysis(inputs: readonly DetectionPhotoInput[], limits: VetoLimits = FACE_VETO): number[] {
  return inputs.flatMap((input, i) => {
    if ('failed' in input) return [];
    if ((input.animals?.length ?? 0) > 0 || input.faces.length === 0) return [i];
    const persons = input.persons ?? [];
    const unexplained = input.faces.some((f) => !persons.some((p) => insideShare(f.box, p.box) >= limits.minInsidePerson));
    return unexplained ? [i] : [];
  });
}

/** Whether every animal of every photo carries its embedding (the second pass ran where needed). */
function allEmbedded(inputs: readonly DetectionPhotoInput[]): inputs is readonly PhotoInput[] {
  return inputs.every((i) => 'failed' in i || (i.animals ?? []).every((a) => Array.isArray((a as { embedding?: unknown }).embedding)));
}

/**
 * Which step failed, from the caller's error text (an ApiError code such as IMAGE_UNREADABLE
 * or its detail both work). Anything not about the image's content is a fetch problem.
 */
export function failureKind(error: string): FailureKind {
  if (/IMAGE_TOO_LARGE|too large|larger than/i.test(error)) return 'tooLarge';
  if (/IMAGE_UNREADABLE|decod|unreadable|format|unsupported|corrupt|malformed|empty|not an image/i.test(error)) return 'decode';
  return 'fetch';
}

export type Decision =
  | { ok: true; model: ProfileModel; reports: PhotoReport[] }
  | { ok: false; message: string; reports: PhotoReport[]; subject?: SubjectKind };

interface FaceRef {
  photo: number;
  face: number;
  obs: FaceObservation;
}

/** Tunables of decideProfile; the defaults are the calibrated constants (benchmarks sweep them). */
export interface DecideOptions {
  clusterThreshold?: number;
  /** Leave-one-out cut for outliers instead of OUTLIER_THRESHOLD. */
  outlierThreshold?: number;
  limits?: QualityLimits;
  /** Take back split-off faces that match the subject's centroid (default true). */
  recover?: boolean;
  /** Per-species cuts of the pet embedding instead of ANIMAL_CUTS. */
  animalCuts?: Partial<Record<AnimalKind, AnimalCuts>>;
  petLimits?: PetQualityLimits;
}

/**
 * Pure: from per-photo analyses to a profile model or an explained refusal. The subject is
 * whoever appears most often (pets/subject.ts): a person, a cat or a dog. Faces the veto gives
 * to an animal's head are never a person's (pets/veto.ts).
 */
export function decideProfile(
  urls: readonly string[],
  inputs: readonly DetectionPhotoInput[],
  tier: TrainingTier,
  opts: DecideOptions = {},
): Decision {
  if (urls.length !== inputs.length) throw new RangeError('urls and inputs differ in length');
  const clean = inputs.map((i) => ('failed' in i ? i : withoutAnimalFaces(i)));
  const choice = chooseTrainingSubject(inputs);
  if (choice.kind === 'cat' || choice.kind === 'dog') {
    // A person's set may come from the first pass alone; an animal's needs its embeddings.
    if (!allEmbedded(clean)) throw new Error(`decideProfile: the subject is a ${choice.kind} but animals lack embeddings (photosForFullPetAnalysis)`);
    const cuts = opts.animalCuts?.[choice.kind] ?? ANIMAL_CUTS[choice.kind];
    return decideAnimalProfile(urls, clean, choice.kind, MIN_ACCEPTED[tier], tier, cuts, opts.petLimits, opts.recover ?? true);
  }
  if (choice.tied.length > 1) {
    const names = choice.tied.map((k) => (k === 'person' ? 'a person' : `a ${k}`));
    const n = choice.counts[choice.tied[0]];
    return {
      ok: false,
      reports: clean.map((input, i) => ({
        url: urls[i],
        accepted: false,
        reasons: ['failed' in input ? REASONS[input.failed] : PET_REASONS.kindTie],
      })),
      message:
        `${names.join(' and ').replace(/^a/, 'A')} appear equally often (in ${n} photos each); a profile is of one of them. ` +
        `Replace photos so the one to learn is in more photos than the other.`,
    };
  }
  const d = decidePersonProfile(urls, clean, tier, opts);
  return d.ok ? { ...d, model: { ...d.model, subject: 'person' } } : { ...d, subject: choice.kind === 'person' ? 'person' : undefined };
}

/** Pure: from per-photo analyses to a person's profile model or an explained refusal (animal embeddings unused). */
export function decidePersonProfile(
  urls: readonly string[],
  inputs: readonly DetectionPhotoInput[],
  tier: TrainingTier,
  opts: DecideOptions = {},
): Decision {
  if (urls.length !== inputs.length) throw new RangeError('urls and inputs differ in length');
  const min = MIN_ACCEPTED[tier];
  const clusterCut = opts.clusterThreshold ?? CLUSTER_THRESHOLD;

  // 1. Screen every face; faces that pass take part in clustering.
  const usable: FaceRef[] = [];
  const rejected: (FaceRef & { reasons: Reason[] })[] = [];
  const duplicateOf = findDuplicates(inputs);
  inputs.forEach((input, photo) => {
    if ('failed' in input || duplicateOf[photo] >= 0) return;
    input.faces.forEach((obs, face) => {
      const s = screenFace(obs, opts.limits);
      if (s.accepted) usable.push({ photo, face, obs });
      else rejected.push({ photo, face, obs, reasons: s.reasons });
    });
  });

  // 2. Who appears in which photos; the largest cluster is the subject.
  const items: ClusterItem[] = usable.map((u) => ({ photo: u.photo, embedding: u.obs.embedding }));
  const clusters = clusterFaces(items, clusterCut);
  let subject: FaceRef[] = clusters.length > 0 ? clusters[0].map((i) => usable[i]) : [];
  const tied = clusters.length > 1 && clusters[1].length === clusters[0].length && clusters[0].length >= min;

  // 3. Drop outliers (leave-one-out similarity to the rest), then take back faces of photos the
  //    clustering left out that match the subject's centroid (one person split in two; rare at
  //    the calibrated cut, a safety net if the cut is ever raised).
  const outliers = new Set<FaceRef>();
  if (!tied && subject.length >= 3) {
    for (let changed = true; changed && subject.length >= 3; ) {
      changed = false;
      let worst: FaceRef | undefined;
      let worstSim = Infinity;
      for (const f of subject) {
        const rest = centroid(subject.filter((g) => g !== f).map((g) => g.obs.embedding));
        const s = cosine(f.obs.embedding, rest);
        if (s < worstSim) {
          worstSim = s;
          worst = f;
        }
      }
      if (worst && worstSim < (opts.outlierThreshold ?? OUTLIER_THRESHOLD)) {
        subject = subject.filter((g) => g !== worst);
        outliers.add(worst);
        changed = true;
      }
    }
    const c = centroid(subject.map((f) => f.obs.embedding));
    const cut = TRAINING_ADMIT_THRESHOLD;
    const inSubject = new Set(subject.map((f) => f.photo));
    const recovered = new Map<number, { f: FaceRef; s: number }>();
    for (const f of opts.recover === false ? [] : usable) {
      if (inSubject.has(f.photo) || outliers.has(f)) continue;
      const s = cosine(f.obs.embedding, c);
      if (s >= cut && s > (recovered.get(f.photo)?.s ?? -Infinity)) recovered.set(f.photo, { f, s });
    }
    for (const { f } of recovered.values()) subject.push(f);
    subject.sort((a, b) => a.photo - b.photo);
  }

  // 4. Per-photo reports.
  const subjectCentroid = subject.length > 0 ? centroid(subject.map((f) => f.obs.embedding)) : null;
  const tiedPhotos = new Set(tied ? [...clusters[0], ...clusters[1]].map((i) => usable[i].photo) : []);
  const byPhoto = new Map(subject.map((f) => [f.photo, f]));
  const reports: PhotoReport[] = inputs.map((input, photo) => {
    const url = urls[photo];
    if ('failed' in input) return { url, accepted: false, reasons: [REASONS[input.failed]] };
    if (input.faces.length === 0) return { url, accepted: false, reasons: [REASONS.noFace] };
    if (duplicateOf[photo] >= 0) return { url, accepted: false, reasons: [REASONS.duplicate] };
    if (tied) {
      return tiedPhotos.has(photo)
        ? { url, accepted: false, reasons: [REASONS.ambiguous] }
        : { url, accepted: false, reasons: photoReasons(photo, input) };
    }
    // Accepted but weak photos carry notes in `reasons` (decisions.md #19's shape, accepted: true).
    const kept = byPhoto.get(photo);
    if (kept) return { url, accepted: true, reasons: screenFace(kept.obs, opts.limits).notes };
    return { url, accepted: false, reasons: photoReasons(photo, input) };
  });

  // Why a photo without a subject face was refused. A quality problem is the more useful
  // answer ("blurry") than "someone else" when the refused face probably is the subject: it
  // still matches them, or it is the photo's main face (degraded faces drift too far to match:
  // blur sigma 8 kept only 0.89 to its original, so matching alone would miss them).
  function photoReasons(photo: number, input: DetectionAnalysis): string[] {
    if (subjectCentroid) {
      const own = rejected
        .filter((r) => r.photo === photo)
        .map((r) => ({ r, s: cosine(r.obs.embedding, subjectCentroid) }))
        .filter((x) => x.s >= clusterCut)
        .sort((a, b) => b.s - a.s)[0];
      if (own) return own.r.reasons;
    }
    if ([...outliers].some((f) => f.photo === photo)) return [REASONS.outlier];
    const main = rejected.find((r) => r.photo === photo && r.face === primaryFace(input));
    if (main) return main.reasons;
    return [REASONS.someoneElse];
  }

  // 5. Enough photos of one dominant person?
  if (tied) {
    return {
      ok: false,
      reports,
      message:
        `No single person appears most often: two different people appear in ${clusters[0].length} photos each. ` +
        `Replace photos so the person to learn is in more photos than anyone else.`,
    };
  }
  if (subject.length < min) {
    const bad = reports
      .map((r, i) => ({ r, i }))
      .filter(({ r }) => !r.accepted)
      .map(({ r, i }) => `#${i + 1} (${r.reasons.join(', ')})`);
    const what =
      subject.length === 0
        ? 'No photo has a face good enough to learn from'
        : `Only ${subject.length} of ${urls.length} photos show the same person clearly enough`;
    return {
      ok: false,
      reports,
      message: `${what}; ${tier} training needs at least ${min}. Replace these photos: ${bad.join('; ')}.`,
    };
  }

  // 6. The model.
  const embeddings = subject.map((f) => [...f.obs.embedding]);
  const ranked = [...subject].sort((a, b) => referenceQuality(b.obs) - referenceQuality(a.obs));
  const model: ProfileModel = {
    version: 1,
    embeddings,
    centroid: centroid(embeddings),
    threshold: centroidThreshold(subject.length),
    referencePhotos: pickReferences(ranked, MAX_REFERENCE_PHOTOS),
    picture: { photo: ranked[0].photo, box: [...ranked[0].obs.box] as Box },
  };
  return { ok: true, model, reports };
}

/**
 * Best reference photos, best first: greedily the face with the highest quality plus a bonus
 * for a head pose unlike those already chosen (base models keep a likeness better from
 * several angles than from five copies of one).
 */
function pickReferences(ranked: readonly FaceRef[], max: number): number[] {
  const chosen: FaceRef[] = [];
  const left = [...ranked];
  while (chosen.length < max && left.length > 0) {
    let bi = 0;
    let best = -Infinity;
    left.forEach((f, i) => {
      const novelty =
        chosen.length === 0 ? 0 : Math.min(...chosen.map((c) => Math.min(1, poseDistance(c.obs, f.obs) / 25)));
      const s = referenceQuality(f.obs) + 0.25 * novelty;
      if (s > best) {
        best = s;
        bi = i;
      }
    });
    chosen.push(left.splice(bi, 1)[0]);
  }
  return chosen.map((f) => f.photo);
}

function poseDistance(a: FaceObservation, b: FaceObservation): number {
  return Math.hypot(a.pose.yaw - b.pose.yaw, a.pose.pitch - b.pose.pitch, a.pose.roll - b.pose.roll);
}

// ---------------------------------------------------------------------------------------------
// Orchestration

/** Photos analysed at once; the engine's pool queues the rest, this only bounds memory. */
const CONCURRENCY = 4;

export async function trainProfile(
  engine: IdentityEngine,
  photos: ReadonlyArray<TrainingPhoto>,
  tier: TrainingTier,
  onProgress?: (p: number) => void,
): Promise<TrainingOutcome> {
  // Two passes: faces and animal boxes for every photo (the fast pet detector), then the full
  // pet analysis (512 px detector, embeddings) of every photo that is not plainly a person's
  // (photosForFullPetAnalysis). A person's usual photos never pay for the full pet models (issue #3's time
  // targets); the decision runs on full analyses wherever an animal may be.
  const inputs: DetectionPhotoInput[] = new Array(photos.length);
  await eachPhoto(photos.length, async (i) => {
    const p = photos[i];
    if (p.error !== undefined || !p.image) return void (inputs[i] = { failed: failureKind(p.error ?? ''), detail: p.error });
    try {
      inputs[i] = await engine.analyzeForSubject(p.image);
    } catch (err) {
      // Only a bad image is the photo's fault; a crashed worker fails the whole training.
      if (!(err instanceof ApiError) || err.status !== 400) throw err;
      inputs[i] = { failed: 'decode', detail: err.detail };
    }
  }, (done) => onProgress?.((FIRST_PASS_PROGRESS * done) / Math.max(1, photos.length)));
  const second = photosForFullPetAnalysis(inputs);
  await eachPhoto(second.length, async (k) => {
    const i = second[k];
    const a = inputs[i] as DetectionAnalysis;
    const pets = await engine.analyzePets(photos[i].image!);
    inputs[i] = { ...a, animals: pets.animals, persons: pets.persons };
  }, (done) => onProgress?.(FIRST_PASS_PROGRESS + ((0.95 - FIRST_PASS_PROGRESS) * done) / Math.max(1, second.length)));

  const decision = decideProfile(
    photos.map((p) => p.url),
    inputs,
    tier,
  );
  if (!decision.ok) {
    onProgress?.(1);
    return decision;
  }
  const src = photos[decision.model.picture.photo];
  const analysis = inputs[decision.model.picture.photo] as DetectionAnalysis;
  // A face's picture shows the head and a little shoulder; an animal's box is already the whole animal.
  const scale = (decision.model.subject ?? 'person') === 'person' ? 2 : 1.15;
  const picture = await profilePicture(src.image!, decision.model.picture.box, analysis.width, analysis.height, scale);
  onProgress?.(1);
  return { ...decision, picture };
}

/** Progress reported once every photo had its first pass (the second, if any, runs up to 0.95). */
const FIRST_PASS_PROGRESS = 0.8;

/** Runs `task(0..n-1)`, CONCURRENCY at a time, reporting how many are done after each. */
async function eachPhoto(n: number, task: (i: number) => Promise<void>, progress: (done: number) => void): Promise<void> {
  let done = 0;
  let next = 0;
  progress(0);
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      await task(i);
      progress(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n) }, worker));
}

/** Side of the stored profile picture, in pixels (smaller crops are not upscaled). */
export const PICTURE_SIZE = 512;

/**
 * Square JPEG around a face: `scale` times the face box (twice: head, hair and a little shoulder), shifted to
 * stay inside the image. `box` is in the analysed image's pixels (width × height); the bytes
 * are decoded with EXIF orientation applied, as the engine does, and the box is rescaled if
 * the engine analysed a resized copy.
 */
export async function profilePicture(image: Buffer, box: Box, analysedWidth: number, analysedHeight: number, scale = 2): Promise<Buffer> {
  const { data, info } = await sharp(image).rotate().raw().toBuffer({ resolveWithObject: true });
  const W = info.width;
  const H = info.height;
  const sx = W / Math.max(1, analysedWidth);
  const sy = H / Math.max(1, analysedHeight);
  const [x, y, w, h] = [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy];
  const side = Math.max(1, Math.round(Math.min(W, H, scale * Math.max(w, h))));
  const clamp = (v: number, hi: number) => Math.max(0, Math.min(hi, Math.round(v)));
  const left = clamp(x + w / 2 - side / 2, W - side);
  const top = clamp(y + h / 2 - side / 2, H - side);
  const out = Math.min(PICTURE_SIZE, side);
  return sharp(data, { raw: { width: W, height: H, channels: info.channels } })
    .extract({ left, top, width: side, height: side })
    .resize(out, out)
    .jpeg({ quality: 90, mozjpeg: false })
    .toBuffer();
}
