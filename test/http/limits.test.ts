// Limits that protect the server, on a server configured like production (no private URLs,
// https-only callbacks) with a small body limit and a rate limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, startPhotoServer, type TestServer } from './harness.js';

let s: TestServer;
let photos: Awaited<ReturnType<typeof startPhotoServer>>;
before(async () => {
  s = await startTestServer({
    LIKENESS_ALLOW_PRIVATE_URLS: '0',
    LIKENESS_ALLOW_HTTP_CALLBACKS: '0',
    LIKENESS_BODY_LIMIT_MB: '1',
    LIKENESS_RATE_LIMIT_PER_MINUTE: '40',
  });
  photos = await startPhotoServer();
});
after(async () => {
  await s.close();
  await photos.close();
});

test('SSRF: an image URL on a loopback/private address is refused and never fetched', async () => {
  const url = photos.url('caltech_p06_0100.jpg');
  const r = await s.json('POST', '/v1/phota/enhance', { image: url });
  assert.equal(r.status, 400);
  assert.equal(r.body.code, 'IMAGE_FETCH_FAILED');
  assert.match(r.body.detail, /private|loopback|not allowed|reserved/i);
  for (const u of ['http://10.0.0.1/x.jpg', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/x.jpg', 'http://0x7f000001/x.jpg']) {
    const rr = await s.json('POST', '/v1/phota/enhance', { image: u });
    assert.equal(rr.body.code, 'IMAGE_FETCH_FAILED', u);
  }
  assert.equal(photos.hits.get('caltech_p06_0100.jpg') ?? 0, 0);
});

test('callback URLs must be https and public here', async () => {
  const img = 'https://example.com/a.jpg';
  const http = await s.json('POST', '/v1/phota/enhance', { image: img, async: true, response_mode: 'urls', callback_url: 'http://example.com/cb' });
  assert.equal(http.status, 422);
  assert.deepEqual(http.body.detail[0].loc, ['body', 'callback_url']);
  const priv = await s.json('POST', '/v1/phota/enhance', { image: img, async: true, response_mode: 'urls', callback_url: 'https://127.0.0.1/cb' });
  assert.equal(priv.status, 422);
  assert.match(priv.body.detail[0].msg, /private|loopback/);
});

test('a body over the limit is 413 PAYLOAD_TOO_LARGE in the error shape', async () => {
  const r = await s.json('POST', '/v1/phota/enhance', { image: 'A'.repeat(1_200_000) });
  assert.equal(r.status, 413);
  assert.equal(r.body.code, 'PAYLOAD_TOO_LARGE');
  assert.equal(r.body.request_id, r.res.headers.get('x-request-id'));
});

test('rate limit: over the per-key budget is 429 with Retry-After, other keys unaffected', async () => {
  let limited: { status: number; body: any; res: Response } | undefined;
  for (let i = 0; i < 45 && !limited; i++) {
    const r = await s.json('GET', '/v1/phota/');
    if (r.status === 429) limited = r;
  }
  assert.ok(limited, 'no 429 within 45 requests at 40/min');
  assert.equal(limited.body.code, 'RATE_LIMITED');
  assert.ok(Number(limited.res.headers.get('retry-after')) >= 1);
  const other = await s.newAccount();
  assert.equal((await s.json('GET', '/v1/phota/', undefined, { 'X-API-Key': other.key })).status, 200);
});
