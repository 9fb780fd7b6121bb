// GET /metrics: Prometheus text with likeness_ series; a token when LIKENESS_METRICS_TOKEN is
// set; on its own port (and not on the API port) with LIKENESS_METRICS_PORT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from './harness.js';
import { parseSeries, sample } from './metrics-parse.js';

test('the API port serves /metrics; HTTP requests are counted by route template and status', async () => {
  const s = await startTestServer();
  try {
    await s.call('GET', '/v1/phota/');
    await s.call('GET', '/v1/phota/profiles/abcdefghij0123456789/status');
    await s.call('GET', '/v1/phota/no/such/route');
    const res = await fetch(`${s.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^text\/plain/);
    const m = parseSeries(await res.text());
    assert.ok(sample(m, 'likeness_http_requests_total', { route: '/v1/phota', status: '200' })! >= 1);
    assert.ok(sample(m, 'likeness_http_requests_total', { route: '/v1/phota/profiles/:id/status', status: '404' })! >= 1);
    assert.ok(sample(m, 'likeness_http_requests_total', { route: 'unmatched', status: '404' })! >= 1);
    assert.ok(sample(m, 'likeness_http_request_duration_seconds_count', { route: '/v1/phota' })! >= 1);
    assert.ok(sample(m, 'likeness_process_resident_memory_bytes', {})! > 0);
    assert.ok(m.some((x) => x.name === 'likeness_queue_depth' && x.labels.queue === 'studio'));
  } finally {
    await s.close();
  }
});

test('a token is required when set; a separate port serves it instead of the API port', async () => {
  const s = await startTestServer({ LIKENESS_METRICS_TOKEN: 's3cret', LIKENESS_METRICS_PORT: '0' });
  try {
    assert.equal((await fetch(`${s.url}/metrics`)).status, 404, 'still on the API port');
    const url = s.server.metricsUrl;
    assert.notEqual(new URL(url).port, new URL(s.url).port);
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(url, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
    const ok = await fetch(url, { headers: { Authorization: 'Bearer s3cret' } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /^# HELP likeness_/m);
  } finally {
    await s.close();
  }
});
