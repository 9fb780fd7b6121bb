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
