// Clustering of faces across training photos: who appears in which photos. Pure.
//
// Average-linkage agglomerative clustering with a cannot-link constraint: two faces of the same
// photo are never the same person, so no cluster holds two faces of one photo. Average linkage
// (rather than single) keeps one stray look-alike pair from chaining two people together;
// the cut is looser than the match threshold because failures at a strict cut were one person
// split in two, not strangers merged (see thresholds.ts).

import { cosine, type Vector } from './vectors.js';

export interface ClusterItem {
  /** Which photo the face comes from (faces of one photo never share a cluster). */
  photo: number;
  embedding: Vector;
}

/**
 * Groups items; returns clusters as lists of item indices (ascending), largest first. Ties in
 * size are ordered by higher mean within-cluster similarity (tighter first), then by first index.
 * Two clusters merge while their average pairwise cosine is >= `threshold`.
 */
export function clusterFaces(items: readonly ClusterItem[], threshold: number): number[][] {
  const n = items.length;
  const sim: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) sim[i][j] = sim[j][i] = cosine(items[i].embedding, items[j].embedding);

  // Active clusters: members, photo set, and a row of average similarities to other clusters
  // (kept up to date with the Lance-Williams update for average linkage).
  const members: (number[] | null)[] = items.map((_, i) => [i]);
  const photos: (Set<number> | null)[] = items.map((it) => new Set([it.photo]));
  const link: number[][] = sim.map((row) => [...row]);

  for (;;) {
    let bi = -1;
    let bj = -1;
    let best = -Infinity;
    for (let i = 0; i < n; i++) {
      if (!members[i]) continue;
      for (let j = i + 1; j < n; j++) {
        if (!members[j]) continue;
        const s = link[i][j];
        if (s < threshold || s <= best) continue;
        if (shares(photos[i]!, photos[j]!)) continue;
        best = s;
        bi = i;
        bj = j;
      }
    }
    if (bi < 0) break;
    const a = members[bi]!.length;
    const b = members[bj]!.length;
    for (let k = 0; k < n; k++) {
      if (!members[k] || k === bi || k === bj) continue;
      link[bi][k] = link[k][bi] = (a * link[bi][k] + b * link[bj][k]) / (a + b);
    }
    members[bi] = [...members[bi]!, ...members[bj]!].sort((x, y) => x - y);
    for (const p of photos[bj]!) photos[bi]!.add(p);
    members[bj] = null;
    photos[bj] = null;
  }

  const clusters = members.filter((m): m is number[] => m !== null);
  const tightness = new Map(clusters.map((c) => [c, meanWithin(c, sim)]));
  return clusters.sort((x, y) => y.length - x.length || tightness.get(y)! - tightness.get(x)! || x[0] - y[0]);
}

function shares(a: Set<number>, b: Set<number>): boolean {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  for (const p of small) if (big.has(p)) return true;
  return false;
}

function meanWithin(c: number[], sim: number[][]): number {
  if (c.length < 2) return 1;
  let s = 0;
  let k = 0;
  for (let i = 0; i < c.length; i++)
    for (let j = i + 1; j < c.length; j++) {
      s += sim[c[i]][c[j]];
      k++;
    }
  return s / k;
}
