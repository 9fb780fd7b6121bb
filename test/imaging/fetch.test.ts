import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { assertPublicHttpUrl, FetchError, safeFetch, type SafeFetchOptions } from '../../src/imaging/fetch.js';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';

const PAYLOAD = Buffer.from('hello image bytes');
let srv: LoopbackServer;

before(async () => {
  srv = await startLoopbackServer((req, res, port) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const redirect = /^\/r\/(\d+)$/.exec(url.pathname);
    if (redirect) {
      const n = Number(redirect[1]);
      res.writeHead(302, { location: n > 1 ? `/r/${n - 1}` : '/ok' });
      return res.end();
    }
    switch (url.pathname) {
      case '/ok':
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(PAYLOAD);
      case '/missing':
        res.writeHead(404);
        return res.end('nope');
      case '/hang':
        return; // never answers
      case '/stream-big': {
        // No content-length: the limit must be enforced while streaming.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(16 * 1024, 1);
        let sent = 0;
        const pump = () => {
          while (sent < 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      case '/declared-big':
        res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
        return res.write(Buffer.alloc(10)); // then stalls: must not wait for the rest
      case '/to-other-loopback':
        res.writeHead(301, { location: `http://127.0.0.2:${port}/ok` });
        return res.end();
      case '/no-location':
        res.writeHead(302);
        return res.end();
      default:
        res.writeHead(500);
        res.end();
    }
  });
});
after(() => srv.close());

const opts = (o: Partial<SafeFetchOptions> = {}): SafeFetchOptions => ({
  allowPrivate: true,
  timeoutMs: 5000,
  maxRedirects: 3,
  maxBytes: 1024 * 1024,
  ...o,
});

async function rejectsWith(p: Promise<unknown>, kind: FetchError['kind']): Promise<FetchError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof FetchError, `expected FetchError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected a ${kind} failure`);
}

test('fetches bytes and content type from a loopback server when private addresses are allowed', async () => {
  const res = await safeFetch(`${srv.base}/ok`, opts());
  assert.deepEqual(res.data, PAYLOAD);
  assert.equal(res.contentType, 'image/png');
  assert.equal(res.status, 200);
});

test('the same URL is refused when private addresses are not allowed, without connecting', async () => {
  const before = srv.seen.length;
  const err = await rejectsWith(safeFetch(`${srv.base}/ok`, opts({ allowPrivate: false })), 'blocked');
  assert.match(err.message, /private or local/);
  assert.equal(srv.seen.length, before);
});

test('a DNS name resolving to loopback is refused; any private address among several is enough', async () => {
  await rejectsWith(
    safeFetch(`http://images.example.test:${srv.port}/ok`, opts({ allowPrivate: false, resolve: async () => [{ address: '127.0.0.1', family: 4 }] })),
    'blocked',
  );
  await rejectsWith(
    safeFetch(`http://images.example.test:${srv.port}/ok`, opts({
      allowPrivate: false,
      resolve: async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 }],
    })),
    'blocked',
  );
});

test('the connection is pinned to the resolved address (no second DNS lookup), Host header kept', async () => {
  // .test names never resolve through real DNS: reaching the server proves the pin was used.
  const res = await safeFetch(`http://pinned.example.test:${srv.port}/ok`, opts({ resolve: async () => [{ address: '127.0.0.1', family: 4 }] }));
  assert.deepEqual(res.data, PAYLOAD);
  assert.equal(srv.seen.at(-1)?.host, `pinned.example.test:${srv.port}`);
});

test('follows up to maxRedirects redirects and refuses one more', async () => {
  const res = await safeFetch(`${srv.base}/r/3`, opts({ maxRedirects: 3 }));
  assert.deepEqual(res.data, PAYLOAD);
  assert.equal(res.finalUrl, `${srv.base}/ok`);
  const err = await rejectsWith(safeFetch(`${srv.base}/r/4`, opts({ maxRedirects: 3 })), 'redirects');
  assert.match(err.message, /more than 3/);
  await rejectsWith(safeFetch(`${srv.base}/r/1`, opts({ maxRedirects: 0 })), 'redirects');
  await rejectsWith(safeFetch(`${srv.base}/no-location`, opts()), 'redirects');
});

test('every redirect hop is vetted: a redirect to a private address is refused', async () => {
  // 127.0.0.1 plays the public server; 127.0.0.2 plays the private target.
  const isForbidden = (ip: string) => ip !== '127.0.0.1';
  const before = srv.seen.length;
  await rejectsWith(safeFetch(`${srv.base}/to-other-loopback`, opts({ allowPrivate: false, isForbidden })), 'blocked');
  assert.equal(srv.seen.length, before + 1, 'only the first hop reached a server');
});

test('non-2xx answers fail with the status', async () => {
  const err = await rejectsWith(safeFetch(`${srv.base}/missing`, opts()), 'http_status');
  assert.equal(err.status, 404);
  assert.match(err.message, /404/);
});

test('a server that never answers hits the timeout', async () => {
  const err = await rejectsWith(safeFetch(`${srv.base}/hang`, opts({ timeoutMs: 300 })), 'timeout');
  assert.match(err.message, /in time/);
});

test('bodies over maxBytes are cut off while streaming, and on a large content-length at once', async () => {
  await rejectsWith(safeFetch(`${srv.base}/stream-big`, opts({ maxBytes: 100_000 })), 'too_large');
  // The declared-big response stalls after 10 bytes: only an early abort avoids a timeout.
  await rejectsWith(safeFetch(`${srv.base}/declared-big`, opts({ maxBytes: 100_000, timeoutMs: 5000 })), 'too_large');
  const ok = await safeFetch(`${srv.base}/stream-big`, opts({ maxBytes: 1024 * 1024 }));
  assert.equal(ok.data.length, 1024 * 1024);
});

test('non-http schemes, credentials and refused connections fail cleanly', async () => {
  await rejectsWith(safeFetch('file:///etc/passwd', opts()), 'invalid_url');
  await rejectsWith(safeFetch('ftp://example.com/a.png', opts()), 'invalid_url');
  await rejectsWith(safeFetch('not a url', opts()), 'invalid_url');
  await rejectsWith(safeFetch(`http://user:pw@127.0.0.1:${srv.port}/ok`, opts()), 'invalid_url');
  // A port nobody listens on (the server is closed right away).
  const tmp = await startLoopbackServer(() => undefined);
  const port = tmp.port;
  await tmp.close();
  const err = await rejectsWith(safeFetch(`http://127.0.0.1:${port}/ok`, opts()), 'network');
  assert.match(err.message, /refused/);
});

test('unresolvable names fail as dns errors', async () => {
  await rejectsWith(
    safeFetch('http://nowhere.invalid/a.png', opts({ resolve: async () => { throw Object.assign(new Error('x'), { code: 'ENOTFOUND' }); } })),
    'dns',
  );
});

test('assertPublicHttpUrl vets callback URLs', async () => {
  await assert.rejects(assertPublicHttpUrl(`http://127.0.0.1:${srv.port}/cb`, { allowPrivate: false }), (e: unknown) => e instanceof FetchError && e.kind === 'blocked');
  await assert.rejects(assertPublicHttpUrl('http://hooks.example.com/cb', { allowPrivate: true, allowHttp: false }), (e: unknown) => e instanceof FetchError && e.kind === 'invalid_url');
  const ok = await assertPublicHttpUrl('https://hooks.example.com/cb', { allowPrivate: false, resolve: async () => [{ address: '93.184.216.34', family: 4 }] });
  assert.equal(ok.url.hostname, 'hooks.example.com');
  assert.equal(ok.addresses[0].address, '93.184.216.34');
  await assert.rejects(
    assertPublicHttpUrl('https://[::ffff:127.0.0.1]/cb', { allowPrivate: false }),
    (e: unknown) => e instanceof FetchError && e.kind === 'blocked',
  );
});

test('IPv6 literal hosts are vetted too and reachable when allowed', async (t) => {
  let v6: LoopbackServer;
  try {
    v6 = await startLoopbackServer((_req, res) => res.end('v6'), '::1');
  } catch {
    t.skip('no IPv6 loopback on this machine');
    return;
  }
  try {
    const url = `http://[::1]:${v6.port}/`;
    assert.equal((await safeFetch(url, opts())).data.toString(), 'v6');
    await rejectsWith(safeFetch(url, opts({ allowPrivate: false })), 'blocked');
  } finally {
    await v6.close();
  }
});
