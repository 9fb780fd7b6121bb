// Async jobs end to end with the local enhancer: 202 handle, polling, signed download URLs
// (expiry, tampering), signed callbacks retried after a 500, idempotent resubmission.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, fixture, poll, type TestServer } from './harness.js';
import { verifySignature } from '../../src/jobs/signing.js';
import { signFileUrl } from '../../src/blobs/signed-url.js';

interface Received {
  body: string;
  signature: string;
  at: number;
}

let s: TestServer;
let receiver: http.Server;
let receiverUrl: string;
const received: Received[] = [];
let failFirst = 1;

before(async () => {
  s = await startTestServer({ LIKENESS_CALLBACK_RETRY_DELAYS_S: '0,0.5,0.5,0.5' });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['x-phota-signature'] ?? ''), at: Date.now() });
      if (failFirst > 0) {
        failFirst--;
        res.writeHead(500).end('try again');
      } else {
        res.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
after(async () => {
  await s.close();
  await new Promise((r) => receiver.close(r));
});

const jpegMagic = (b: Buffer) => b[0] === 0xff && b[1] === 0xd8;
const pngMagic = (b: Buffer) => b.subarray(1, 4).toString('latin1') === 'PNG';

test('async enhance: 202 handle, idempotent resubmit, 409 on a changed body, SUCCEEDED with signed URLs, signed callback retried after a 500', async () => {
  const image = (await fixture('london_001_neutral.jpg')).toString('base64');
  const body = { image, async: true, response_mode: 'urls', callback_url: receiverUrl, client_request_id: 'order-1', pro_mode: false };
  const sub = await s.json('POST', '/v1/phota/enhance', body);
  assert.equal(sub.status, 202, JSON.stringify(sub.body));
  assert.match(sub.body.job_id, /^job_[a-z0-9]{24}$/);
  assert.equal(sub.body.poll_url, `${s.url}/v1/phota/jobs/${sub.body.job_id}`);
  assert.ok(['QUEUED', 'RUNNING'].includes(sub.body.status));

  // Same id and body (unknown fields do not count): the original job. Changed body: 409.
  const again = await s.json('POST', '/v1/phota/enhance', { ...body, pro_mode: true });
  assert.equal(again.status, 202);
  assert.equal(again.body.job_id, sub.body.job_id);
  const conflict = await s.json('POST', '/v1/phota/enhance', { ...body, num_output_images: 2 });
  assert.equal(conflict.status, 409);
  assert.equal(conflict.body.code, 'IDEMPOTENCY_CONFLICT');

  const job = await poll(async () => {
    const r = await s.json('GET', `/v1/phota/jobs/${sub.body.job_id}`);
    return r.body.status === 'SUCCEEDED' || r.body.status === 'FAILED' ? r.body : undefined;
  }, 300_000, 500);
  assert.equal(job.status, 'SUCCEEDED', JSON.stringify(job.error));
  assert.deepEqual(job.result.images, []);
  assert.equal(job.result.download_urls.length, 1);
  assert.deepEqual(job.result.known_subjects, { counts: {}, matches: [] });
  assert.equal(job.error, null);
  // The request body (a base64 image) was kept in the blob store, not the job row, and is gone now.
  const row = await s.server.ctx.store.jobs.getById(sub.body.job_id);
  assert.ok(!JSON.stringify(row!.request).includes(image.slice(0, 200)), 'the image is stored in the job row');
  assert.equal(await s.server.ctx.blobs.get(`jobs/${sub.body.job_id}.json`), undefined);

  // The signed URL works without a key; tampering or expiry is 403.
  const url = new URL(job.result.download_urls[0]);
  const ok = await fetch(url);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'image/jpeg');
  assert.ok(jpegMagic(Buffer.from(await ok.arrayBuffer())));
  const badToken = new URL(url);
  badToken.searchParams.set('token', url.searchParams.get('token')!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')));
  assert.equal((await fetch(badToken)).status, 403);
  const longer = new URL(url);
  longer.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
  assert.equal((await fetch(longer)).status, 403);
  const expired = s.url + signFileUrl(url.pathname, Math.floor(Date.now() / 1000) - 10, s.server.ctx.urlSecret);
  const exp = await fetch(expired);
  assert.equal(exp.status, 403);
  assert.match(((await exp.json()) as any).detail, /expired/);
  const otherName = s.url + signFileUrl(url.pathname.replace(/[0-9a-f]{32}/, '0'.repeat(32)), Math.floor(Date.now() / 1000) + 60, s.server.ctx.urlSecret);
  assert.equal((await fetch(otherName)).status, 404);

  // The callback: first attempt answered 500, retried, verified with the account's secret.
  await poll(async () => (received.length >= 2 ? true : undefined), 30_000);
  const secret = (await s.json('GET', '/v1/phota/webhook-secret')).body.webhook_secret;
  for (const r of received) {
    assert.ok(verifySignature(r.signature, r.body, [secret], Math.floor(Date.now() / 1000)), 'signature does not verify');
    const payload = JSON.parse(r.body);
    assert.equal(payload.job_id, sub.body.job_id);
    assert.equal(payload.status, 'SUCCEEDED');
  }
  assert.ok(!verifySignature(received[1].signature, received[1].body.replace('SUCCEEDED', 'FAILED'), [secret], Math.floor(Date.now() / 1000)));
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(received.length, 2, 'delivery continued after a 2xx');

  // Another account cannot see the job.
  const other = await s.newAccount();
  const hidden = await s.json('GET', `/v1/phota/jobs/${sub.body.job_id}`, undefined, { 'X-API-Key': other.key });
  assert.equal(hidden.status, 404);
});

test('sync enhance in bytes mode: PNG when asked, base64 in images, empty download_urls', async () => {
  const image = (await fixture('caltech_p06_0100.jpg')).toString('base64');
  const r = await s.json('POST', '/v1/phota/enhance', { image, output_format: 'png' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.images.length, 1);
  assert.deepEqual(r.body.download_urls, []);
  assert.ok(pngMagic(Buffer.from(r.body.images[0], 'base64')));
  assert.deepEqual(r.body.known_subjects, { counts: {}, matches: [] });
});
