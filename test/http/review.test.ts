// Defects found by an adversarial review of the API server path, each pinned by a test that
// failed before its fix: body content types FastAPI reads as JSON, router-level errors in the
// contract's error shape, graceful shutdown with a request in flight, sync concurrency after
// a 504, and photos left behind when a profile is deleted while VALIDATING.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { startTestServer, fixture, poll, type TestServer } from './harness.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

/** One raw HTTP/1.1 request (so no client adds a Content-Type), bounded in time. */
function rawRequest(server: TestServer, method: string, path: string, headers: Record<string, string>, body?: string) {
  const u = new URL(server.url);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }>((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers: { 'x-api-key': server.key, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function listen(srv: http.Server): Promise<number> {
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as AddressInfo).port;
}

async function closeServer(srv: http.Server) {
  srv.closeAllConnections();
  await new Promise((r) => srv.close(r));
}

test('a JSON body without Content-Type is read as JSON (as FastAPI does), so validation runs on it', async () => {
  const body = JSON.stringify({ prompt: '' });
  const r = await rawRequest(s, 'POST', '/v1/phota/generate', { 'content-length': String(Buffer.byteLength(body)) }, body);
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.deepEqual(r.body.detail.map((d: any) => d.loc), [['body', 'prompt']]);
});

test('application/*+json is JSON; other media types are 415 in the error shape', async () => {
  const body = JSON.stringify({ prompt: '' });
  const plus = await rawRequest(s, 'POST', '/v1/phota/generate', { 'content-type': 'application/vnd.api+json' }, body);
  assert.equal(plus.status, 422, JSON.stringify(plus.body));
  assert.deepEqual(plus.body.detail.map((d: any) => d.loc), [['body', 'prompt']]);
  const xml = await rawRequest(s, 'POST', '/v1/phota/generate', { 'content-type': 'application/xml' }, '<a/>');
  assert.equal(xml.status, 415);
  assert.equal(xml.body.code, 'INVALID_REQUEST');
  assert.equal(xml.body.request_id, xml.headers['x-request-id']);
});

test('an overlong or undecodable path segment is a 404 in the error shape, with X-Request-Id', async () => {
  for (const [path, code] of [
    [`/v1/phota/profiles/${'a'.repeat(400)}/status`, 'PROFILE_NOT_FOUND'],
    [`/v1/phota/jobs/${'j'.repeat(400)}`, 'NOT_FOUND'],
    ['/v1/phota/profiles/%E0%A4%A/status', 'PROFILE_NOT_FOUND'],
  ] as const) {
    const r = await rawRequest(s, 'GET', path, {});
    assert.equal(r.status, 404, `${path.slice(0, 40)}: ${JSON.stringify(r.body).slice(0, 200)}`);
    assert.equal(r.body.code, code);
    assert.ok(typeof r.body.detail === 'string' && r.body.detail.length < 200);
    assert.equal(r.body.request_id, r.headers['x-request-id']);
  }
  // A 20-character id of the right form but unknown is still an ordinary PROFILE_NOT_FOUND.
  const ok = await rawRequest(s, 'GET', `/v1/phota/profiles/${'b'.repeat(200)}/status`, {});
  assert.equal(ok.status, 404);
  assert.equal(ok.body.code, 'PROFILE_NOT_FOUND');
});

test('graceful shutdown: a sync request in flight still gets its 200; a request arriving while closing gets a 503 in the error shape', async () => {
  // OpenAI Images stand-in that holds its answer until released.
  let arrived!: () => void;
  const seen = new Promise<void>((r) => (arrived = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#446688' } }).png().toBuffer();
  const standIn = http.createServer(async (req, res) => {
    for await (const _ of req) void _;
    arrived();
    await gate;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ created: 1, data: [{ b64_json: png.toString('base64') }] }));
  });
  const port = await listen(standIn);
  const srv = await startTestServer({ LIKENESS_OPENAI_API_KEY: 'sk-x', LIKENESS_OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` });
  const u = new URL(srv.url);
  const sock = net.connect(Number(u.port), u.hostname);
  let text = '';
  sock.setEncoding('utf8');
  sock.on('data', (c) => (text += c));
  const ended = new Promise<void>((r) => {
    sock.on('close', () => r());
    sock.on('error', () => r());
  });
  try {
    const body = JSON.stringify({ prompt: 'a lighthouse', base_model: 'gpt-image-2' });
    sock.write(
      `POST /v1/phota/generate HTTP/1.1\r\nHost: ${u.host}\r\nX-API-Key: ${srv.key}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await seen;
    const closing = srv.close();
    await new Promise((r) => setTimeout(r, 200)); // let close() reach its preClose hooks
    sock.write(`GET /v1/phota/ HTTP/1.1\r\nHost: ${u.host}\r\nX-API-Key: ${srv.key}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 200));
    release();
    await Promise.race([ended, new Promise((r) => setTimeout(r, 30_000))]);
    await closing;
  } finally {
    sock.destroy();
    release();
    await closeServer(standIn);
  }
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  assert.deepEqual(statuses, [200, 503], text.slice(0, 300));
  const second = text.slice(text.lastIndexOf('HTTP/1.1 503'));
  const json = JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4).trim().replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, ''));
  assert.equal(json.code, 'OVERLOADED');
  assert.match(second, new RegExp(`x-request-id: ${json.request_id}`, 'i'));
});

test('a sync request that timed out (504) keeps its concurrency slot until its work has stopped', async () => {
  // An image host that answers slowly; it records how many fetches are in flight at once.
  let inFlight = 0;
  let maxInFlight = 0;
  let served = 0;
  const photo = await fixture('london_001_neutral.jpg');
  const slow = http.createServer(async (_req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 2500));
    inFlight--;
    served++;
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
  });
  const port = await listen(slow);
  const srv = await startTestServer({
    LIKENESS_SYNC_TIMEOUT_S: '1',
    LIKENESS_STUDIO_CONCURRENCY: '1',
    LIKENESS_MAX_QUEUE_DEPTH: '2',
    // Configured so /edit passes its checks; never reached, the inputs never finish loading in time.
    LIKENESS_OPENAI_API_KEY: 'sk-x',
    LIKENESS_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
  });
  try {
    const body = { prompt: 'x', images: [`http://127.0.0.1:${port}/a.jpg`], base_model: 'gpt-image-2' };
    const first = await srv.json('POST', '/v1/phota/edit', body);
    assert.equal(first.status, 504, JSON.stringify(first.body));
    assert.equal(first.body.code, 'TIMEOUT');
    const second = await srv.json('POST', '/v1/phota/edit', body);
    assert.equal(second.status, 504, JSON.stringify(second.body));
    await poll(async () => (served >= 2 ? true : undefined), 20_000, 100);
    assert.equal(maxInFlight, 1, 'the second request started while the first one was still working');
  } finally {
    await srv.close();
    await closeServer(slow);
  }
});

test('a profile deleted while its photos are being fetched leaves no photos behind', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let requested = 0;
  let served = 0;
  const photo = await fixture('london_001_neutral.jpg');
  const held = http.createServer(async (_req, res) => {
    requested++;
    await gate;
    served++;
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
  });
  const port = await listen(held);
  try {
    const urls = [1, 2, 3, 4, 5].map((i) => `http://127.0.0.1:${port}/${i}.jpg`);
    const add = await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls, training_tier: 'fast' });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    const id = add.body.profile_id as string;
    await poll(async () => (requested > 0 ? true : undefined), 20_000, 50);
    const del = await s.json('DELETE', `/v1/phota/profiles/${id}`);
    assert.equal(del.status, 200);
    release();
    // The fetch step has run to its end once all photos were served and its task is done.
    await poll(async () => (served === 5 && (await s.server.ctx.queue.depth('profile.fetch')) === 0 ? true : undefined), 30_000, 100);
    const dir = join(s.dataDir, 'blobs', 'profiles', id);
    const left = existsSync(dir) ? (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()) : [];
    assert.deepEqual(left.map((e) => e.name), [], 'photos of the deleted profile were stored after the delete');
    const st = await s.json('GET', `/v1/phota/profiles/${id}/status`);
    assert.equal(st.status, 404);
  } finally {
    release();
    await closeServer(held);
  }
});
