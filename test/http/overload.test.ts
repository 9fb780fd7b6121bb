// Error codes that need a particular server setup: 504 TIMEOUT on the sync time limit,
// 503 OVERLOADED when the queue or the sync slots are full, 400 IMAGE_TOO_LARGE, and
// 400 UNSUPPORTED_OPERATION when the configured enhance model cannot enhance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, fixture, type TestServer } from './harness.js';
import { pngClaiming } from '../imaging/png-chunks.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ LIKENESS_SYNC_TIMEOUT_S: '1', LIKENESS_MAX_QUEUE_DEPTH: '1', LIKENESS_STUDIO_CONCURRENCY: '1' });
});
after(async () => {
  await s.close();
});


test('an image whose header claims 900 megapixels is 400 IMAGE_TOO_LARGE, without decoding it', async () => {
  const r = await s.json('POST', '/v1/phota/enhance', { image: pngClaiming(30000, 30000).toString('base64') });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body.code, 'IMAGE_TOO_LARGE');
});

test('a sync request over the time limit is 504 TIMEOUT; a third concurrent one is 503 OVERLOADED', async () => {
  const image = (await fixture('london_001_neutral.jpg')).toString('base64');
  const results = await Promise.all([1, 2, 3].map(() => s.json('POST', '/v1/phota/enhance', { image })));
  const codes = results.map((r) => `${r.status} ${r.body.code}`).sort();
  assert.ok(codes.includes('504 TIMEOUT'), codes.join());
  assert.ok(codes.includes('503 OVERLOADED'), codes.join());
  const over = results.find((r) => r.status === 503)!;
  assert.ok(Number(over.res.headers.get('retry-after')) > 0);
});

test('async submits beyond the queue depth are 503 OVERLOADED with Retry-After', async () => {
  const image = (await fixture('london_001_neutral.jpg')).toString('base64');
  const body = { image, async: true, response_mode: 'urls' };
  const first = await s.json('POST', '/v1/phota/enhance', body);
  assert.equal(first.status, 202);
  const second = await s.json('POST', '/v1/phota/enhance', body);
  assert.equal(second.status, 503, JSON.stringify(second.body));
  assert.equal(second.body.code, 'OVERLOADED');
  assert.ok(second.res.headers.get('retry-after'));
});

test('an enhance model that cannot enhance is 400 UNSUPPORTED_OPERATION', async () => {
  const other = await startTestServer({ LIKENESS_ENHANCE_BASE_MODEL: 'gpt-image-2', LIKENESS_OPENAI_API_KEY: 'sk-x', LIKENESS_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
  try {
    const image = (await fixture('caltech_p06_0100.jpg')).toString('base64');
    const r = await other.json('POST', '/v1/phota/enhance', { image });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.code, 'UNSUPPORTED_OPERATION');
  } finally {
    await other.close();
  }
});
