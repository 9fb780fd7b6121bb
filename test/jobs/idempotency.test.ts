import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, requestFingerprint, resolveIdempotentSubmit } from '../../src/jobs/idempotency.js';
import { ApiError } from '../../src/errors.js';
import type { JobRecord } from '../../src/store/types.js';

test('canonical JSON sorts keys at every depth and keeps array order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } }), '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson([2, 1]), '[2,1]');
  assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
});

test('canonical JSON follows JSON.stringify value rules', () => {
  assert.equal(canonicalJson({ a: undefined, b: null, c: () => 1 }), '{"b":null}');
  assert.equal(canonicalJson([undefined, NaN, Infinity]), '[null,null,null]');
  assert.equal(canonicalJson({ d: new Date(0) }), '{"d":"1970-01-01T00:00:00.000Z"}');
  assert.equal(canonicalJson('é"'), JSON.stringify('é"'));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => canonicalJson(cyclic), TypeError);
  assert.throws(() => canonicalJson({ n: 1n }), TypeError);
  // the same object twice (not a cycle) is fine
  const shared = { x: 1 };
  assert.equal(canonicalJson({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
});

test('fingerprint ignores key order and client_request_id', () => {
  const a = requestFingerprint('edit', { prompt: 'smile', images: ['u1'], client_request_id: 'r1', async: true });
  const b = requestFingerprint('edit', { async: true, images: ['u1'], client_request_id: 'r2', prompt: 'smile' });
  assert.equal(a, b);
  assert.match(a, /^[0-9a-f]{64}$/);
});

test('fingerprint changes with any counted field, callback_url and endpoint', () => {
  const base = { prompt: 'smile', images: ['u1'], async: true, callback_url: 'https://a.example/cb' };
  const fp = requestFingerprint('edit', base);
  assert.notEqual(fp, requestFingerprint('edit', { ...base, prompt: 'smile!' }));
  assert.notEqual(fp, requestFingerprint('edit', { ...base, images: ['u2'] }));
  assert.notEqual(fp, requestFingerprint('edit', { ...base, callback_url: 'https://b.example/cb' }));
  assert.notEqual(fp, requestFingerprint('generate', base));
  assert.notEqual(fp, requestFingerprint('edit', { ...base, num_output_images: 2 }));
});

function job(hash: string): JobRecord {
  return {
    id: 'job_1', accountId: 'acc', kind: 'edit', status: 'QUEUED', request: {}, result: null, error: null,
    callbackUrl: null, clientRequestId: 'r1', requestHash: hash, runs: 0, createdAt: 0, updatedAt: 0, expiresAt: 1,
  };
}

test('resolveIdempotentSubmit: new, replay, conflict (409)', () => {
  const fp = requestFingerprint('edit', { prompt: 'x' });
  assert.deepEqual(resolveIdempotentSubmit(undefined, fp), { kind: 'new' });
  const existing = job(fp);
  const r = resolveIdempotentSubmit(existing, requestFingerprint('edit', { prompt: 'x', client_request_id: 'r1' }));
  assert.equal(r.kind, 'replay');
  assert.throws(
    () => resolveIdempotentSubmit(existing, requestFingerprint('edit', { prompt: 'y' })),
    (e: unknown) => e instanceof ApiError && e.status === 409 && e.code === 'IDEMPOTENCY_CONFLICT',
  );
});
