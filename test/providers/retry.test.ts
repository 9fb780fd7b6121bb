import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fetchWithRetry, ProviderConnectError, isRetryableStatus, ProviderHttpError, retryDelayMs, sleep, DEFAULT_RETRY_POLICY } from '../../src/providers/retry.js';
import { closedPortUrl, FAST_RETRY, sendJson, startStandIn } from './standin.js';

test('retryDelayMs honours retry-after-ms, Retry-After seconds and dates, and the cap', () => {
  const p = DEFAULT_RETRY_POLICY;
  assert.equal(retryDelayMs(1, new Headers({ 'retry-after': '3' }), p), 3000);
  assert.equal(retryDelayMs(1, new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), p), 250);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retryDelayMs(1, new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), p, now), 5000);
  assert.equal(retryDelayMs(1, new Headers({ 'retry-after': '3600' }), p), null);
  // Backoff: half fixed, half jitter, doubling, capped.
  assert.equal(retryDelayMs(1, undefined, p, 0, () => 0), 250);
  assert.equal(retryDelayMs(1, undefined, p, 0, () => 1), 500);
  assert.equal(retryDelayMs(3, undefined, p, 0, () => 1), 2000);
  assert.equal(retryDelayMs(30, undefined, p, 0, () => 1), p.maxDelayMs);
});

test('isRetryableStatus', () => {
  for (const s of [408, 429, 500, 502, 503, 504]) assert.equal(isRetryableStatus(s), true, String(s));
  for (const s of [400, 401, 403, 404, 422, 501]) assert.equal(isRetryableStatus(s), false, String(s));
});

test('sleep rejects with the abort reason', async () => {
  const ac = new AbortController();
  const p = sleep(10_000, ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(p, /stop/);
});

test('fetchWithRetry: 429 then 200 is retried; 500 forever gives up after maxAttempts', async () => {
  let calls = 0;
  const s = await startStandIn((r, res) => {
    if (r.path === '/flaky') {
      calls++;
      if (calls === 1) return sendJson(res, 429, { error: 'slow down' }, { 'retry-after': '0' });
      return sendJson(res, 200, { ok: true, body: r.body.toString() });
    }
    sendJson(res, 500, { error: { message: 'boom' } });
  });
  try {
    const f = fetchWithRetry(FAST_RETRY);
    const res = await f(`${s.url}/flaky`, { method: 'POST', body: 'payload' });
    assert.deepEqual(await res.json(), { ok: true, body: 'payload' }); // body replayed
    assert.equal(calls, 2);
    const err = await f(`${s.url}/down`).then(
      () => assert.fail('should throw'),
      (e) => e,
    );
    assert.ok(err instanceof ProviderHttpError);
    assert.equal(err.status, 500);
    assert.equal(err.attempts, FAST_RETRY.maxAttempts);
    assert.equal(s.received.filter((r) => r.path === '/down').length, FAST_RETRY.maxAttempts);
  } finally {
    await s.close();
  }
});

test('fetchWithRetry: non-retryable 4xx is not retried; connection refused is retried then thrown', async () => {
  const s = await startStandIn((_r, res) => sendJson(res, 400, { error: { code: 'bad' } }));
  try {
    const f = fetchWithRetry(FAST_RETRY);
    await assert.rejects(f(`${s.url}/x`), (e: unknown) => e instanceof ProviderHttpError && e.status === 400 && e.attempts === 1);
    assert.equal(s.received.length, 1);
  } finally {
    await s.close();
  }
  const dead = await closedPortUrl();
  await assert.rejects(fetchWithRetry(FAST_RETRY)(`${dead}/x`), (e: unknown) => e instanceof ProviderConnectError && e.connectCode === 'ECONNREFUSED' && e.attempts === FAST_RETRY.maxAttempts);
});
