// Recognition: which candidate profiles appear in an image. The one function every studio
// endpoint (and POST /recognize) uses, so inputs and outputs are judged the same way.
// People are recognised by their faces, cats and dogs by their re-identification embedding;
// a face is only compared with person profiles and an animal only with profiles of its own
// species, so a person never matches a pet profile and a cat never a dog profile.

import { assignOneToOne } from './match.js';
import { humanFaces } from './pets/veto.js';
import type { Box, FaceObservation, IdentityEngine, ImageAnalysis, ProfileModel, SubjectKind } from './types.js';
import { cosine, type Vector } from './vectors.js';

export interface Candidate {
  profileId: string;
  model: ProfileModel;
}

/** A profile's subject; models trained before pets are people. */
export function subjectOf(model: ProfileModel): SubjectKind {
  return model.subject ?? 'person';
}

/** Something recognisable in an image: a person's face or a cat or dog. */
export interface Observation {
  kind: SubjectKind;
  box: Box;
  embedding: readonly number[];
  /** Pets: the head that made the embedding (see ProfileModel.embedder). */
  embedder?: string;
}

/**
 * Whether an observation can be compared with a candidate's profile at all: same kind, an embedding
 * of the same length (a model trained by an older head of another size), and, when both say which
 * pet head made them, the same head (a new head of the same size makes unrelated vectors).
 */
export function comparableTo(o: Observation, model: ProfileModel): boolean {
  if (subjectOf(model) !== o.kind || model.centroid.length !== o.embedding.length) return false;
  return !(model.embedder && o.embedder && model.embedder !== o.embedder);
}

export interface RecognizedFace {
  box: Box;
  /** A person's face, a cat or a dog. */
  kind: SubjectKind;
  /** The assigned profile, or null when no candidate clears its threshold (or a closer face took it). */
  profileId: string | null;
  /**
   * Cosine to the assigned profile's centroid, clamped to 0..1. For an unassigned face, the
   * highest similarity to any candidate of its kind (0 with none), so clients can see near misses.
   */
  similarity: number;
}

/** Cosine between an embedding and a profile's centroid, negatives clamped to 0. */
export function similarityToProfile(embedding: Vector, model: ProfileModel): number {
  return Math.max(0, cosine(embedding, model.centroid));
}

/**
 * Everything recognisable in an analysis, faces first then animals (each in detector order).
 * Faces the veto attributes to an animal's head are left out: they are not people.
 */
export function observations(analysis: ImageAnalysis): Observation[] {
  const faces = humanFaces(analysis).map((f) => ({ kind: 'person' as const, box: f.box, embedding: f.embedding }));
  const animals = (analysis.animals ?? []).map((a) => ({ kind: a.kind, box: a.box, embedding: a.embedding, ...(a.embedder ? { embedder: a.embedder } : {}) }));
  return [...faces, ...animals];
}

/**
 * Pure: one-to-one assignment of observations to candidates within each kind (see match.ts
 * for the rule). Results are in the order of `obs`.
 */
export function assignSubjects(obs: readonly Observation[], candidates: readonly Candidate[]): RecognizedFace[] {
  const out: RecognizedFace[] = obs.map((o) => ({ box: [...o.box] as Box, kind: o.kind, profileId: null, similarity: 0 }));
  for (const kind of new Set(obs.map((o) => o.kind))) {
    const idx = obs.flatMap((o, i) => (o.kind === kind ? [i] : []));
    const cands = candidates.filter((c) => subjectOf(c.model) === kind);
    if (cands.length === 0) continue;
    // A profile made by another pet head never matches rather than failing the request.
    const sims = idx.map((i) => cands.map((c) => (comparableTo(obs[i], c.model) ? similarityToProfile(obs[i].embedding, c.model) : 0)));
    const assigned = assignOneToOne(
      sims,
      cands.map((c) => c.model.threshold),
    );
    idx.forEach((i, k) => {
      const c = assigned[k];
      out[i].profileId = c === null ? null : cands[c].profileId;
      out[i].similarity = c === null ? Math.max(0, ...sims[k]) : sims[k][c];
    });
  }
  return out;
}

/** Pure: faces only (as before pets), each compared with the person candidates. */
export function assignFaces(faces: readonly FaceObservation[], candidates: readonly Candidate[]): RecognizedFace[] {
  return assignSubjects(
    faces.map((f) => ({ kind: 'person' as const, box: f.box, embedding: f.embedding })),
    candidates,
  );
}

/** Pure: every face and animal of an analysis, assigned to candidates of its kind. */
export function recognizeAnalysis(analysis: ImageAnalysis, candidates: readonly Candidate[]): RecognizedFace[] {
  return assignSubjects(observations(analysis), candidates);
}

/** Whether recognising these candidates needs the pet models (a cat or dog among them). */
export function needsPets(candidates: readonly Candidate[]): boolean {
  return candidates.some((c) => subjectOf(c.model) !== 'person');
}

/**
 * Detects every face (and, when a candidate is a pet, every animal) in `image` and assigns each
 * to at most one candidate profile. Without pet candidates the pet models are skipped: a face on
 * an animal's head cannot match a person's profile at the face thresholds (bench/pets-dominant.ts:
 * 0 pet photos matched a person profile without the veto), and recognition stays as fast as before.
 */
export async function recognize(engine: IdentityEngine, image: Buffer, candidates: readonly Candidate[]): Promise<RecognizedFace[]> {
  return recognizeAnalysis(await engine.analyze(image, { pets: needsPets(candidates) }), candidates);
}
