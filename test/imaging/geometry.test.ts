import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outputSize, snapAspect, ASPECT_RATIOS, RESOLUTIONS } from '../../src/imaging/geometry.js';

test('1K sizes are the contract table (decisions #9)', () => {
  const expected = {
    '1:1': [1024, 1024],
    '4:3': [1184, 864],
    '3:4': [864, 1184],
    '16:9': [1344, 768],
    '9:16': [768, 1344],
  } as const;
  for (const [aspect, [w, h]] of Object.entries(expected)) {
    const s = outputSize(aspect as keyof typeof expected, '1K');
    assert.deepEqual(s, { width: w, height: h, aspectRatio: aspect });
  }
});

test('each resolution step doubles both sides; every side is a multiple of 16; ~1/4/16 MP', () => {
  for (const a of ASPECT_RATIOS) {
    const k1 = outputSize(a, '1K');
    const k2 = outputSize(a, '2K');
    const k4 = outputSize(a, '4K');
    assert.deepEqual([k2.width, k2.height], [k1.width * 2, k1.height * 2]);
    assert.deepEqual([k4.width, k4.height], [k1.width * 4, k1.height * 4]);
    for (const s of [k1, k2, k4]) {
      assert.equal(s.width % 16, 0);
      assert.equal(s.height % 16, 0);
    }
    const mp = (s: { width: number; height: number }) => (s.width * s.height) / 1e6;
    assert.ok(mp(k1) > 0.95 && mp(k1) < 1.1, `${a} 1K = ${mp(k1)} MP`);
    assert.ok(mp(k4) > 15 && mp(k4) < 17.5, `${a} 4K = ${mp(k4)} MP`);
  }
  assert.deepEqual(outputSize('16:9', '4K'), { width: 5376, height: 3072, aspectRatio: '16:9' });
  assert.equal(RESOLUTIONS.length, 3);
});

test('auto follows the input aspect snapped to the nearest of the five, 1:1 without input', () => {
  assert.equal(outputSize('auto', '1K').aspectRatio, '1:1');
  assert.deepEqual(outputSize('auto', '2K', { width: 4032, height: 3024 }), { width: 2368, height: 1728, aspectRatio: '4:3' });
  assert.equal(outputSize('auto', '1K', { width: 3024, height: 4032 }).aspectRatio, '3:4');
  assert.equal(outputSize('auto', '1K', { width: 1920, height: 1080 }).aspectRatio, '16:9');
  assert.equal(outputSize('auto', '1K', { width: 1080, height: 1920 }).aspectRatio, '9:16');
  assert.equal(outputSize('auto', '1K', { width: 500, height: 500 }).aspectRatio, '1:1');
  // An explicit aspect wins over the input.
  assert.equal(outputSize('16:9', '1K', { width: 500, height: 1000 }).aspectRatio, '16:9');
});

test('snapAspect picks the nearest in log space (symmetric for portrait and landscape)', () => {
  assert.equal(snapAspect(3000, 1000), '16:9'); // very wide → widest available
  assert.equal(snapAspect(1000, 3000), '9:16');
  assert.equal(snapAspect(1150, 1000), '1:1'); // 1.15 is nearer 1 than 1.333 in log space
  assert.equal(snapAspect(1160, 1000), '4:3');
  assert.equal(snapAspect(1000, 1160), '3:4');
  assert.equal(snapAspect(1500, 1000), '4:3'); // 3:2 → 4:3 (log dist .118 vs .170)
  assert.equal(snapAspect(1600, 1000), '16:9');
  assert.throws(() => snapAspect(0, 10), RangeError);
  assert.throws(() => snapAspect(10, Number.NaN), RangeError);
});
