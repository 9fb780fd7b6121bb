// One-to-one assignment of faces to candidate profiles. Pure.
//
// Greedy by similarity, not Hungarian (maximum total similarity): the most similar
// face/profile pair is the most trustworthy statement we can make, and a global optimum may
// break it to let a weaker pair through (face A 0.97→P1 / 0.96→P2, face B 0.96→P1: Hungarian
// gives A→P2, B→P1, i.e. it claims A is P2 although A looks more like P1). When a face clears
// the threshold of two profiles, those profiles look alike; the conservative answer leaves the
// weaker face unknown rather than guessing. Candidates are at most ~20, so cost is irrelevant.

export interface Pairing {
  face: number;
  candidate: number;
  similarity: number;
}

/**
 * `similarity[f][c]` = similarity of face f to candidate c; `thresholds[c]` = candidate c's
 * acceptance cut (a pair qualifies when similarity >= threshold). Returns, per face, the index
 * of its assigned candidate or null. No candidate is given to two faces, no face gets two.
 * Ties are broken by the margin over the candidate's threshold, then by lower indices, so the
 * result is deterministic.
 */
export function assignOneToOne(similarity: readonly (readonly number[])[], thresholds: readonly number[]): (number | null)[] {
  const pairs: (Pairing & { margin: number })[] = [];
  similarity.forEach((row, face) => {
    if (row.length !== thresholds.length) throw new RangeError(`row ${face} has ${row.length} scores for ${thresholds.length} candidates`);
    row.forEach((s, candidate) => {
      if (s >= thresholds[candidate]) pairs.push({ face, candidate, similarity: s, margin: s - thresholds[candidate] });
    });
  });
  pairs.sort((a, b) => b.similarity - a.similarity || b.margin - a.margin || a.face - b.face || a.candidate - b.candidate);

  const byFace: (number | null)[] = similarity.map(() => null);
  const taken = new Set<number>();
  for (const p of pairs) {
    if (byFace[p.face] !== null || taken.has(p.candidate)) continue;
    byFace[p.face] = p.candidate;
    taken.add(p.candidate);
  }
  return byFace;
}
