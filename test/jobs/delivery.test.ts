// Callback delivery against real HTTP receivers on 127.0.0.1 and the real SQLite store.
// The delivery clock is a variable the test advances, so retries need no real waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { createDeliveryService, type DeliveryDeps } from '../../src/jobs/delivery.js';
import { verifySignature } from '../../src/jobs/signing.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  method: string;
}

/** A receiver answering statuses[i] to the i-th request (the last one repeats); null = never answer. */
async function receiver(statuses: (number | null)[], extraHeaders: Record<string, string> = {}) {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), method: req.method ?? '' });
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)];
      if (status === null) return; // hang: the client must time out
      res.writeHead(status, extraHeaders).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    got,
    url: `http://127.0.0.1:${port}/hooks/phota`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function setup(t: import('node:test').TestContext, extra: Partial<DeliveryDeps> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'likeness-delivery-'));
  const clock = { ms: 1_790_000_000_000 };
  const store: SqliteStore = await openSqliteStore(join(dir, 'meta.db'), { now: () => clock.ms });
  const account = await store.accounts.create('test');
  const logs: { msg: string; extra?: object }[] = [];
  const service = createDeliveryService({
    store,
    now: () => clock.ms,
    schedule: [0, 1_000, 5_000],
    allowHttp: true,
    allowPrivate: true,
    timeoutMs: 2_000,
    log: (msg, e) => logs.push({ msg, extra: e }),
    ...extra,
  });
  t.after(async () => {
    await service.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, clock, store, account, service, logs };
}

const payload = { job_id: 'job_abc', status: 'SUCCEEDED', created_at: 1, updated_at: 2, result: { images: [], download_urls: ['https://x/y.jpg'], known_subjects: { counts: {} } }, error: null };

test('500 then 200: signed, retried on schedule, stops after the 2xx', async (t) => {
  const { clock, store, account, service } = await setup(t);
  const rx = await receiver([500, 200]);
  t.after(rx.close);
  const secret = (await store.webhookSecrets.current(account.id)).secret;

  const id = await service.enqueue(account.id, rx.url, payload);
  assert.match(id, /^dlv_/);
  assert.equal(await service.deliverDue(), 1);
  assert.equal(rx.got.length, 1);
  let rec = (await store.deliveries.get(id))!;
  assert.equal(rec.status, 'PENDING');
  assert.equal(rec.attempts, 1);
  assert.equal(rec.lastError, 'HTTP 500');
  assert.equal(rec.nextAttemptAt, clock.ms + 1_000);

  assert.equal(await service.deliverDue(), 0, 'not due before its retry time');
  clock.ms += 999;
  assert.equal(await service.deliverDue(), 0);
  clock.ms += 1;
  assert.equal(await service.deliverDue(), 1);
  rec = (await store.deliveries.get(id))!;
  assert.equal(rec.status, 'DELIVERED');
  assert.equal(rec.attempts, 2);
  assert.equal(rec.lastError, null);

  clock.ms += 3_600_000;
  assert.equal(await service.deliverDue(), 0);
  assert.equal(rx.got.length, 2, 'nothing sent after the 2xx');

  const nowS = Math.floor(clock.ms / 1000);
  rx.got.forEach((r, i) => {
    assert.equal(r.method, 'POST');
    assert.equal(r.body, JSON.stringify(payload), 'exact stored body');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['user-agent'], 'Likeness-Webhooks/1');
    assert.equal(r.headers['x-likeness-delivery'], id);
    assert.equal(r.headers['x-likeness-attempt'], String(i + 1));
    const sig = r.headers['x-phota-signature'] as string;
    // signed at the (fake) time of the attempt: valid then, a replay an hour later
    const sentAt = Number(/^t=(\d+),/.exec(sig)![1]);
    assert.equal(verifySignature(sig, r.body, [secret], sentAt), true);
    assert.equal(verifySignature(sig, r.body, [secret], nowS), false);
    assert.equal(verifySignature(sig, r.body.replace('SUCCEEDED', 'FAILED'), [secret], sentAt), false);
  });
});

test('a receiver that always fails ends FAILED after every attempt', async (t) => {
  const { clock, store, account, service, logs } = await setup(t, { schedule: [0, 10, 20, 40] });
  const rx = await receiver([503]);
  t.after(rx.close);
  const id = await service.enqueue(account.id, rx.url, payload);
  for (let i = 0; i < 10; i++) {
    await service.deliverDue();
    clock.ms += 100;
  }
  const rec = (await store.deliveries.get(id))!;
  assert.equal(rec.status, 'FAILED');
  assert.equal(rec.attempts, 4);
  assert.equal(rec.lastError, 'HTTP 503');
  assert.equal(rx.got.length, 4);
  assert.deepEqual(rx.got.map((r) => r.headers['x-likeness-attempt']), ['1', '2', '3', '4']);
  assert.ok(logs.some((l) => l.msg === 'webhook failed for good'));
});

test('secret rotation: the header carries both secrets during the grace period', async (t) => {
  const { clock, store, account, service } = await setup(t);
  const rx = await receiver([200]);
  t.after(rx.close);
  const oldSecret = (await store.webhookSecrets.current(account.id)).secret;
  const newSecret = (await store.webhookSecrets.rotate(account.id, clock.ms, 24 * 3_600_000)).secret;
  assert.notEqual(oldSecret, newSecret);

  await service.enqueue(account.id, rx.url, { n: 1 });
  await service.deliverDue();
  clock.ms += 25 * 3_600_000; // the old secret has retired
  await service.enqueue(account.id, rx.url, { n: 2 });
  await service.deliverDue();

  assert.equal(rx.got.length, 2);
  const [during, after] = rx.got;
  const ts = (r: Received) => Number(/^t=(\d+),/.exec(r.headers['x-phota-signature'] as string)![1]);
  const sig = (r: Received) => r.headers['x-phota-signature'] as string;
  assert.equal((sig(during).match(/v1=/g) ?? []).length, 2);
  assert.equal(verifySignature(sig(during), during.body, [oldSecret], ts(during)), true);
  assert.equal(verifySignature(sig(during), during.body, [newSecret], ts(during)), true);
  assert.equal((sig(after).match(/v1=/g) ?? []).length, 1);
  assert.equal(verifySignature(sig(after), after.body, [oldSecret], ts(after)), false);
  assert.equal(verifySignature(sig(after), after.body, [newSecret], ts(after)), true);
});

test('durable: a delivery pending when the process stops is sent after a restart', async (t) => {
  const { dir, clock, store, account } = await setup(t);
  const rx = await receiver([200]);
  t.after(rx.close);
  const first = createDeliveryService({ store, now: () => clock.ms, allowHttp: true, allowPrivate: true });
  const id = await first.enqueue(account.id, rx.url, payload);
  // simulate a crash after the attempt was claimed but before any answer was recorded
  await store.deliveries.update(id, { attempts: 1, nextAttemptAt: clock.ms + 30_000 });
  await store.close();

  const reopened = await openSqliteStore(join(dir, 'meta.db'), { now: () => clock.ms });
  t.after(() => reopened.close());
  const second = createDeliveryService({ store: reopened, now: () => clock.ms, allowHttp: true, allowPrivate: true });
  assert.equal(await second.deliverDue(), 0, 'waits for the scheduled retry');
  clock.ms += 30_000;
  assert.equal(await second.deliverDue(), 1);
  const rec = (await reopened.deliveries.get(id))!;
  assert.equal(rec.status, 'DELIVERED');
  assert.equal(rec.attempts, 2);
  assert.equal(rx.got.length, 1);
  assert.equal(rx.got[0].headers['x-likeness-attempt'], '2');
});

test('network errors, timeouts and redirects are failed attempts', async (t) => {
  const { store, account, service } = await setup(t, { timeoutMs: 300 });
  const closed = await receiver([200]);
  const deadUrl = closed.url;
  await closed.close();
  const hanging = await receiver([null]);
  t.after(hanging.close);
  const target = await receiver([200]);
  t.after(target.close);
  const redirecting = await receiver([302], { Location: target.url });
  t.after(redirecting.close);

  const dead = await service.enqueue(account.id, deadUrl, payload);
  const slow = await service.enqueue(account.id, hanging.url, payload);
  const moved = await service.enqueue(account.id, redirecting.url, payload);
  assert.equal(await service.deliverDue(), 3);

  const d = (await store.deliveries.get(dead))!;
  assert.equal(d.status, 'PENDING');
  assert.match(d.lastError ?? '', /^network error: ECONNREFUSED/);
  assert.match((await store.deliveries.get(slow))!.lastError ?? '', /timed out after 300 ms/);
  const m = (await store.deliveries.get(moved))!;
  assert.equal(m.lastError, 'HTTP 302');
  assert.equal(m.status, 'PENDING');
  assert.equal(target.got.length, 0, 'redirects are not followed');
});

test('URL policy is enforced at delivery time', async (t) => {
  const { store, account, service } = await setup(t, { allowPrivate: false });
  const rx = await receiver([200]);
  t.after(rx.close);
  const id = await service.enqueue(account.id, rx.url, payload);
  assert.equal(await service.deliverDue(), 1);
  const rec = (await store.deliveries.get(id))!;
  assert.match(rec.lastError ?? '', /^refused URL: /);
  assert.equal(rx.got.length, 0);

  const https = createDeliveryService({ store, allowHttp: false, allowPrivate: true, schedule: [0] });
  const id2 = await https.enqueue(account.id, rx.url, payload);
  await https.deliverDue();
  const rec2 = (await store.deliveries.get(id2))!;
  assert.equal(rec2.status, 'FAILED');
  assert.match(rec2.lastError ?? '', /https/);
  assert.equal(rx.got.length, 0);
});

test('start() polls and delivers retries, stop() ends polling', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'likeness-delivery-'));
  const store = await openSqliteStore(join(dir, 'meta.db'));
  const account = await store.accounts.create(null);
  const rx = await receiver([500, 200]);
  const service = createDeliveryService({ store, allowHttp: true, allowPrivate: true, schedule: [0, 20], pollMs: 20 });
  t.after(async () => {
    await service.stop();
    await rx.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  service.start();
  service.start(); // idempotent
  const ids = await Promise.all([1, 2, 3].map((n) => service.enqueue(account.id, rx.url, { n })));
  const deadline = Date.now() + 15_000; // a bound, not a speed assertion
  let statuses: string[] = [];
  while (Date.now() < deadline) {
    statuses = await Promise.all(ids.map(async (id) => (await store.deliveries.get(id))!.status));
    if (statuses.every((s) => s !== 'PENDING')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(statuses, ['DELIVERED', 'DELIVERED', 'DELIVERED']);
  await service.stop();
  const before = rx.got.length;
  assert.equal(before, 4, 'one 500 and three 200s');
  const later = await service.enqueue(account.id, rx.url, { n: 4 });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(rx.got.length, before, 'stopped service sends nothing');
  assert.equal((await store.deliveries.get(later))!.status, 'PENDING');
});

test('store failures never escape deliverDue', async (t) => {
  const { store, account, service, logs } = await setup(t);
  const rx = await receiver([200]);
  t.after(rx.close);
  await service.enqueue(account.id, rx.url, payload);
  const broken = createDeliveryService({
    store: { ...store, deliveries: { ...store.deliveries, due: async () => { throw new Error('disk on fire'); } } },
    allowHttp: true,
    allowPrivate: true,
    log: (msg, e) => logs.push({ msg, extra: e }),
  });
  assert.equal(await broken.deliverDue(), 0);
  assert.ok(logs.some((l) => l.msg === 'webhook pass error'));
});
