import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE62, JOB_ID_RE, KEY_RE, LOWER_ALNUM, PROFILE_ID_RE, newId, newJobId, newKey, newProfileId, randomString } from '../../src/store/ids.js';

test('id formats', () => {
  for (let i = 0; i < 200; i++) {
    assert.match(newProfileId(), PROFILE_ID_RE);
    assert.match(newJobId(), JOB_ID_RE);
    assert.match(newKey(), KEY_RE);
  }
  assert.match(newId('task_', 10), /^task_[a-z0-9]{10}$/);
  assert.equal(newId().length, 24);
});

test('ids do not repeat', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) seen.add(newProfileId());
  assert.equal(seen.size, 5000);
});

test('characters are uniform over the alphabet (chi-square)', () => {
  for (const alphabet of [LOWER_ALNUM, BASE62]) {
    const n = alphabet.length;
    const draws = 200_000;
    const s = randomString(draws, alphabet);
    const counts = new Map<string, number>();
    for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    assert.equal(counts.size, n, 'every character appears');
    const expected = draws / n;
    let chi = 0;
    for (const c of alphabet) chi += ((counts.get(c) ?? 0) - expected) ** 2 / expected;
    // df = n-1 (35 or 61); p=1e-6 critical values are ~86 and ~124. A modulo bias of
    // 256 % n would push the statistic into the thousands at this sample size.
    assert.ok(chi < (n === 36 ? 86 : 124), `chi-square ${chi.toFixed(1)} for n=${n}`);
  }
});

test('randomString rejects bad arguments', () => {
  assert.throws(() => randomString(5, 'a'), RangeError);
  assert.throws(() => randomString(-1), RangeError);
  assert.equal(randomString(0), '');
});
