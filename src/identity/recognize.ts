// Recognition: which candidate profiles appear in an image. The one function every studio
// endpoint (and POST /recognize) uses, so inputs and outputs are judged the same way.

import { assignOneToOne } from './match.js';
import type { Box, FaceObservation, IdentityEngine, ProfileModel } from './types.js';
import { cosine, type Vector } from './vectors.js';

export interface Candidate {
  profileId: string;
  model: ProfileModel;
}

export interface RecognizedFace {
  box: Box;
  /** The assigned profile, or null when no candidate clears its threshold (or a closer face took it). */
  profileId: string | null;
  /**
   * Cosine to the assigned profile's centroid, clamped to 0..1. For an unassigned face, the
   * highest similarity to any candidate (0 with no candidates), so clients can see near misses.
   */
  similarity: number;
}

/** Cosine between a face embedding and a profile's centroid, negatives clamped to 0. */
export function similarityToProfile(embedding: Vector, model: ProfileModel): number {
  return Math.max(0, cosine(embedding, model.centroid));
}

/** Pure: one-to-one assignment of observed faces to candidates (see match.ts for the rule). */
export function assignFaces(faces: readonly FaceObservation[], candidates: readonly Candidate[]): RecognizedFace[] {
  const sims = faces.map((f) => candidates.map((c) => similarityToProfile(f.embedding, c.model)));
  const assigned = assignOneToOne(
    sims,
    candidates.map((c) => c.model.threshold),
  );
  return faces.map((f, i) => {
    const c = assigned[i];
    return {
      box: [...f.box] as Box,
      profileId: c === null ? null : candidates[c].profileId,
      similarity: c === null ? Math.max(0, ...sims[i]) : sims[i][c],
    };
  });
}

/** Detects every face in `image` and assigns each to at most one candidate profile. */
export async function recognize(engine: IdentityEngine, image: Buffer, candidates: readonly Candidate[]): Promise<RecognizedFace[]> {
  const analysis = await engine.analyze(image);
  return assignFaces(analysis.faces, candidates);
}
