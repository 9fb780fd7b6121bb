// Requests Node's HTTP parser refuses before any route runs (headers too large, a malformed
// request line) are answered in the contract's error shape, and the server keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestServer, type TestServer } from './harness.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

function raw(request: string): Promise<{ status: number; headers: string; body: any }> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: hostname, port: Number(port) }, () => sock.write(request));
    let data = '';
    sock.setTimeout(10_000, () => reject(new Error('no answer')));
    sock.on('data', (c) => (data += c.toString('latin1')));
    sock.on('end', () => {
      const [head, body] = [data.slice(0, data.indexOf('\r\n\r\n')), data.slice(data.indexOf('\r\n\r\n') + 4)];
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body: body ? JSON.parse(body) : undefined });
    });
    sock.on('error', reject);
  });
}

test('oversized headers → 431 in the error shape', async () => {
  const r = await raw(`GET /v1/phota/profiles/ids HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.equal(r.status, 431);
  assert.match(r.headers, /content-type: application\/json/i);
  assert.equal(r.body.code, 'HEADERS_TOO_LARGE');
  assert.match(r.body.detail, /too large/);
  assert.match(r.body.request_id, /^req_[0-9a-f]{24}$/);
});

test('an oversized URL → 431 in the error shape', async () => {
  const r = await raw(`GET /v1/phota/profiles/${'x'.repeat(20_000)}/status HTTP/1.1\r\nHost: x\r\n\r\n`);
  assert.equal(r.status, 431);
  assert.equal(r.body.code, 'HEADERS_TOO_LARGE');
});

test('a malformed request → 400 INVALID_REQUEST in the error shape; the server still serves', async () => {
  const r = await raw('THIS IS NOT HTTP\r\n\r\n');
  assert.equal(r.status, 400);
  assert.deepEqual(Object.keys(r.body).sort(), ['code', 'detail', 'request_id']);
  assert.equal(r.body.code, 'INVALID_REQUEST');
  const bad = await raw('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n');
  assert.equal(bad.status, 400);
  assert.equal((await s.call('GET', '/v1/phota/profiles/ids')).status, 200);
});

// PostgreSQL text cannot hold U+0000: without a check at the edge these were 500s there.
test('NUL characters: in a path id → 404, in a query → 422, in a JSON body string → 422 at its location', async () => {
  for (const path of ['/v1/phota/profiles/a%00b/status', '/v1/phota/profiles/a%00b/profile_picture', '/v1/phota/profiles/a%00b']) {
    const method = path.endsWith('a%00b') ? 'DELETE' : 'GET';
    const r = await s.json(method, path);
    assert.equal(r.status, 404, path);
    assert.equal(r.body.code, 'PROFILE_NOT_FOUND');
    assert.match(r.body.request_id, /^req_/);
  }
  const job = await s.json('GET', '/v1/phota/jobs/a%00b');
  assert.equal(job.status, 404);
  assert.equal(job.body.code, 'NOT_FOUND');
  const list = await s.json('GET', '/v1/phota/profiles/ids?tag=a%00b');
  assert.equal(list.status, 422);
  assert.deepEqual(list.body.detail[0].loc, ['query', 'tag']);
  const urls = Array.from({ length: 5 }, (_, i) => `https://example.com/${i}.jpg`);
  const add = await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls, training_tier: 'fast', tag: 'a\u0000b' });
  assert.equal(add.status, 422);
  assert.deepEqual(add.body.detail, [{ loc: ['body', 'tag'], msg: 'String should not contain NUL (\\u0000) characters', type: 'value_error' }]);
  const nested = await s.json('POST', '/v1/phota/profiles/add', { image_urls: [...urls.slice(1), 'https://example.com/\u0000.jpg'], training_tier: 'fast' });
  assert.equal(nested.status, 422);
  assert.deepEqual(nested.body.detail[0].loc, ['body', 'image_urls', 4]);
  // The text "\u0000" (an escaped backslash, then u0000) is no NUL: that body is judged as usual.
  const literal = await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls, training_tier: 'fast', tag: '\\u0000' });
  assert.notEqual(literal.status, 422, JSON.stringify(literal.body));
  assert.equal((await s.call('GET', '/v1/phota/profiles/ids')).status, 200, 'still serving');
});
