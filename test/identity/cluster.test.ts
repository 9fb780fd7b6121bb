import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterFaces } from '../../src/identity/cluster.js';
import { World } from './synthetic.js';

// Unit vectors in the plane at given angles: cosines are known exactly.
const at = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
const acosDeg = (c: number) => (Math.acos(c) * 180) / Math.PI;

test('three people over many photos come out as three clusters, largest first', () => {
  const w = new World(3);
  const people = ['ann', 'bob', 'cid'];
  const counts = [7, 2, 4];
  const items: { photo: number; embedding: number[]; who: string }[] = [];
  let photo = 0;
  people.forEach((p, i) => {
    for (let k = 0; k < counts[i]; k++) items.push({ photo: photo++, embedding: w.embed(p), who: p });
  });
  const clusters = clusterFaces(items, 0.92);
  assert.deepEqual(
    clusters.map((c) => c.map((i) => items[i].who)),
    [Array(7).fill('ann'), Array(4).fill('cid'), Array(2).fill('bob')],
  );
});

test('faces of one photo never share a cluster, even when identical', () => {
  const v = at(0);
  const clusters = clusterFaces(
    [
      { photo: 0, embedding: v },
      { photo: 0, embedding: v },
      { photo: 1, embedding: v },
    ],
    0.5,
  );
  assert.equal(clusters.length, 2);
  for (const c of clusters) assert.ok(!(c.includes(0) && c.includes(1)));
  assert.deepEqual(clusters[0].length, 2);
});

test('average linkage does not chain: A~B and B~C do not pull in C when A and C differ', () => {
  const theta = acosDeg(0.95); // cos(A,B) = cos(B,C) = 0.95, cos(A,C) = 2·0.95²−1 ≈ 0.805
  const items = [at(0), at(theta), at(2 * theta)].map((embedding, photo) => ({ photo, embedding }));
  const clusters = clusterFaces(items, 0.9);
  // A–B or B–C merges first (tie), then the average to the third is (0.95+0.805)/2 < 0.9.
  assert.equal(clusters.length, 2);
  assert.equal(clusters[0].length, 2);
  assert.ok(clusters[0].includes(1));
});

test('a cut above every similarity leaves singletons; an empty input gives no clusters', () => {
  const items = [at(0), at(10), at(20)].map((embedding, photo) => ({ photo, embedding }));
  assert.equal(clusterFaces(items, 0.999).length, 3);
  assert.deepEqual(clusterFaces([], 0.9), []);
});

test('equal sizes: the tighter cluster comes first', () => {
  const items = [at(0), at(5), at(100), at(120)].map((embedding, photo) => ({ photo, embedding }));
  const clusters = clusterFaces(items, 0.9);
  assert.deepEqual(clusters, [
    [0, 1],
    [2, 3],
  ]);
});
