import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/errors.js';
import { mergeCandidates, parseProfileRefs, planReferences, referencePhrase, rewritePrompt } from '../../src/studio/prompt.js';

test('parseProfileRefs: order of first appearance, de-duplicated, trimmed', () => {
  assert.deepEqual(parseProfileRefs('[[b2]] and [[a1]] hug; [[b2]] smiles; [[ c3 ]]'), ['b2', 'a1', 'c3']);
  assert.deepEqual(parseProfileRefs('no refs [single] [[]] [[a[b]]'), []);
  assert.deepEqual(parseProfileRefs(''), []);
  assert.deepEqual(parseProfileRefs(undefined), []);
});

test('mergeCandidates: profile_ids first, then new inline refs', () => {
  assert.deepEqual(mergeCandidates(['x', 'y'], ['y', 'z']), ['x', 'y', 'z']);
  assert.deepEqual(mergeCandidates(undefined, ['z', 'z']), ['z']);
  assert.deepEqual(mergeCandidates(['x', 'x'], []), ['x']);
});

test('rewritePrompt: neutral phrases pointing at attached photos', () => {
  const map = new Map([
    ['abc', [2]],
    ['def', [3, 4]],
    ['ghi', [5, 6, 7]],
  ]);
  assert.equal(
    rewritePrompt('Make [[abc]] hug [[def]] while [[ghi]] waves at [[abc]]', map),
    'Make the person shown in reference image 2 hug the person shown in reference images 3 and 4 while the person shown in reference images 5, 6 and 7 waves at the person shown in reference image 2',
  );
  // A profile without attached photos still loses its id.
  assert.equal(rewritePrompt('Portrait of [[zzz]]', map), 'Portrait of the person');
  assert.equal(referencePhrase([1]), 'the person shown in reference image 1');
});

test('planReferences: inputs first, slots spread round-robin, photos of one profile contiguous', () => {
  const plan = planReferences({
    inputImageCount: 1,
    profiles: [
      { id: 'a', referenceCount: 5 },
      { id: 'b', referenceCount: 1 },
      { id: 'c', referenceCount: 5 },
    ],
    maxInputImages: 7,
  });
  // 6 free slots: a,b,c get one each; then a,c (b has no more); then a.
  assert.deepEqual(
    plan.attachments.map((x) => `${x.profileId}${x.referenceIndex}`),
    ['a0', 'a1', 'a2', 'b0', 'c0', 'c1'],
  );
  assert.deepEqual([...plan.refToImageIndex], [
    ['a', [2, 3, 4]],
    ['b', [5]],
    ['c', [6, 7]],
  ]);
  assert.equal(plan.totalImages, 7);
});

test('planReferences: fewer slots than profiles gives the first profiles one each', () => {
  const plan = planReferences({
    inputImageCount: 2,
    profiles: [
      { id: 'a', referenceCount: 3 },
      { id: 'b', referenceCount: 3 },
      { id: 'c', referenceCount: 3 },
    ],
    maxInputImages: 4,
  });
  assert.deepEqual([...plan.refToImageIndex], [
    ['a', [3]],
    ['b', [4]],
  ]);
  assert.equal(plan.refToImageIndex.has('c'), false);
});

test('planReferences: per-profile cap, no slots, and too many inputs', () => {
  const capped = planReferences({ inputImageCount: 0, profiles: [{ id: 'a', referenceCount: 9 }], maxInputImages: 14, maxPerProfile: 3 });
  assert.deepEqual(capped.refToImageIndex.get('a'), [1, 2, 3]);
  const none = planReferences({ inputImageCount: 1, profiles: [{ id: 'a', referenceCount: 9 }], maxInputImages: 1 });
  assert.equal(none.attachments.length, 0);
  assert.throws(
    () => planReferences({ inputImageCount: 3, profiles: [], maxInputImages: 1, modelId: 'reve' }),
    (e: unknown) => e instanceof ApiError && e.status === 400 && e.code === 'INVALID_REQUEST' && /at most 1 input image/.test(e.detail),
  );
});
