// Optional prepaid credits through the API (decisions #3, #29): 402 when short, nothing
// created; cost reserved and settled on success, refunded on failure; reads never 402.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, fixture, type TestServer } from './harness.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ LIKENESS_CREDITS: '1', LIKENESS_PRICES: '{"enhance": 0.2}' });
});
after(async () => {
  await s.close();
});

const balance = () => s.server.ctx.store.credits.balance(s.accountId);

test('with no balance: studio and training are 402 INSUFFICIENT_CREDIT, nothing is created, reads still work', async () => {
  const image = (await fixture('caltech_p06_0100.jpg')).toString('base64');
  const r = await s.json('POST', '/v1/phota/enhance', { image });
  assert.equal(r.status, 402, JSON.stringify(r.body));
  assert.equal(r.body.code, 'INSUFFICIENT_CREDIT');
  assert.equal(r.body.request_id, r.res.headers.get('x-request-id'));
  const add = await s.json('POST', '/v1/phota/profiles/add', { image_urls: Array(5).fill('http://127.0.0.1:9/x.jpg'), training_tier: 'fast' });
  assert.equal(add.status, 402);
  assert.deepEqual((await s.json('GET', '/v1/phota/profiles/ids')).body, { profiles: [] });
  assert.equal((await s.json('GET', '/v1/phota/webhook-secret')).status, 200);
});

test('a successful enhance is charged its price; a failed one is refunded', async () => {
  await s.server.ctx.store.credits.grant(s.accountId, 1_000_000, 'test top-up');
  const image = (await fixture('caltech_p06_0100.jpg')).toString('base64');
  const ok = await s.json('POST', '/v1/phota/enhance', { image });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(await balance(), 800_000);
  const failed = await s.json('POST', '/v1/phota/enhance', { image: 'http://127.0.0.1:9/gone.jpg' });
  assert.equal(failed.status, 400);
  assert.equal(await balance(), 800_000);
  const async = await s.json('POST', '/v1/phota/enhance', { image: 'http://127.0.0.1:9/gone.jpg', async: true, response_mode: 'urls' });
  assert.equal(async.status, 202);
  // The async job fails in the worker; its reservation comes back.
  for (let i = 0; i < 100; i++) {
    const j = await s.json('GET', `/v1/phota/jobs/${async.body.job_id}`);
    if (j.body.status === 'FAILED') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await s.json('GET', `/v1/phota/jobs/${async.body.job_id}`)).body.error.code, 'IMAGE_FETCH_FAILED');
  assert.equal(await balance(), 800_000);
});
