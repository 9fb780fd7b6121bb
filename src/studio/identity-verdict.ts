// Whether a candidate image shows the people it must show (pure). A candidate passes when
// every required subject is recognised, one-to-one, at or above its profile's threshold.
// Candidates are ranked by the lowest similarity over the required subjects: an image is as
// good as its worst-drawn person. A subject is a profile id plus its kind, so the same rule
// serves pet profiles once they exist (their recogniser fills the same FaceScore shape).
import { assignSubjects, comparableTo, observations, similarityToProfile, subjectOf, type Candidate, type Observation } from '../identity/recognize.js';
import type { FaceObservation, Box, ImageAnalysis } from '../identity/types.js';

export type SubjectKind = 'person' | 'pet';

export interface Subject {
  profileId: string;
  kind: SubjectKind;
  /** The profile's acceptance cut. */
  threshold: number;
}

/** One detected face (or animal) of a candidate, scored against the request's candidate profiles. */
export interface FaceScore {
  box: Box;
  /** Profile it was assigned to one-to-one, or null. */
  assigned: string | null;
  /** Similarity to each candidate profile (by id). */
  similarity: Record<string, number>;
}

export interface Verdict {
  passed: boolean;
  /** Required profile ids not recognised, in the order they were required. */
  missing: string[];
  /** Lowest similarity over the required subjects (1 when none is required). */
  minSimilarity: number;
  /**
   * For a miss whose scene is right (every missing subject has a face of its own, just under
   * the cut): the missing subjects and the face each one should be, so one edit can fix it.
   * Null when the miss is not repairable.
   */
  repair: Array<{ profileId: string; box: Box; similarity: number }> | null;
}

/** Scores every face of an analysed candidate against the person candidates (one-to-one assignment). */
export function scoreFaces(faces: readonly FaceObservation[], candidates: readonly Candidate[]): FaceScore[] {
  return scoreObservations(
    faces.map((f) => ({ kind: 'person' as const, box: f.box, embedding: f.embedding })),
    candidates,
  );
}

/**
 * Scores every face and every cat or dog of an analysed candidate, each against the candidates
 * of its own kind only (a face is never scored against a pet profile: other vectors, no meaning).
 */
export function scoreAnalysis(analysis: ImageAnalysis, candidates: readonly Candidate[]): FaceScore[] {
  return scoreObservations(observations(analysis), candidates);
}

function scoreObservations(obs: readonly Observation[], candidates: readonly Candidate[]): FaceScore[] {
  const assigned = assignSubjects(obs, candidates);
  return obs.map((o, i) => ({
    box: assigned[i].box,
    assigned: assigned[i].profileId,
    similarity: Object.fromEntries(
      candidates
        .filter((c) => comparableTo(o, c.model))
        .map((c) => [c.profileId, similarityToProfile(o.embedding, c.model)]),
    ),
  }));
}

/**
 * Judges one candidate. `repairMargin`: how far under its threshold a missing subject's best
 * free face may be for the miss to count as a look-alike worth one repair edit (farther than
 * that it is a stranger, and a new generation is the better bet).
 */
export function judge(faces: readonly FaceScore[], required: readonly Subject[], repairMargin: number): Verdict {
  const missing: string[] = [];
  let minSimilarity = 1;
  const free = faces.filter((f) => f.assigned === null);
  for (const s of required) {
    const face = faces.find((f) => f.assigned === s.profileId);
    const sim = face ? (face.similarity[s.profileId] ?? 0) : Math.max(0, ...free.map((f) => f.similarity[s.profileId] ?? 0));
    minSimilarity = Math.min(minSimilarity, sim);
    if (!face) missing.push(s.profileId);
  }
  const passed = missing.length === 0;
  let repair: Verdict['repair'] = null;
  if (!passed) {
    // Each missing subject needs a distinct unassigned face close to it; greedy, closest first.
    const pairs: Array<{ profileId: string; face: number; similarity: number }> = [];
    for (const id of missing) {
      const s = required.find((r) => r.profileId === id)!;
      free.forEach((f, k) => {
        const sim = f.similarity[id] ?? 0;
        if (sim >= s.threshold - repairMargin) pairs.push({ profileId: id, face: k, similarity: sim });
      });
    }
    pairs.sort((a, b) => b.similarity - a.similarity || a.face - b.face);
    const used = new Set<number>();
    const chosen = new Map<string, { profileId: string; box: Box; similarity: number }>();
    for (const p of pairs) {
      if (used.has(p.face) || chosen.has(p.profileId)) continue;
      used.add(p.face);
      chosen.set(p.profileId, { profileId: p.profileId, box: free[p.face].box, similarity: p.similarity });
    }
    if (chosen.size === missing.length) repair = missing.map((id) => chosen.get(id)!);
  }
  return { passed, missing, minSimilarity, repair };
}

/**
 * Indices of the `k` best candidates: passing ones first, then by highest minimum similarity,
 * earlier first on ties (the order they were produced in, so results are deterministic).
 */
export function bestCandidates(verdicts: readonly Verdict[], k: number): number[] {
  return verdicts
    .map((v, i) => ({ v, i }))
    .sort((a, b) => Number(b.v.passed) - Number(a.v.passed) || b.v.minSimilarity - a.v.minSimilarity || a.i - b.i)
    .slice(0, k)
    .map((x) => x.i);
}
