// Several Likeness processes on one Postgres / Redis / S3, as a real deployment runs them:
// API nodes A and B, worker nodes started and killed as each test needs. The base model is a
// stand-in for the OpenAI Images API on 127.0.0.1 that holds each generation until the test
// lets it answer, so a job can be caught mid-run. Distributed pass only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { migrations } from '../../src/store/migrations.js';
import { newKey } from '../../src/store/ids.js';
import { createDeliveryService } from '../../src/jobs/delivery.js';
import { openBlobStore } from '../../src/context.js';
import { loadConfig } from '../../src/config.js';
import { DISTRIBUTED } from '../support/backends.js';
import { fixture, startPhotoServer, poll } from '../http/harness.js';
import { startCluster, type Cluster, type Node } from './nodes.js';

const opts = { skip: DISTRIBUTED ? false : 'distributed pass only (PostgreSQL, Redis)', timeout: 300_000 };

// --- the stand-in base model: each request waits for answer() (or answers at once in auto mode)
type Pending = { respond(): Promise<void>; refuse(): Promise<void>; at: number };
const pending: Pending[] = [];
let auto = false;
let generations = 0;
let provider: http.Server;
// --- callback receiver: counts deliveries per (delivery id, attempt)
const hits = new Map<string, number>();
const bodies: Array<{ delivery: string; body: string }> = [];
let failHooks = false;
let receiver: http.Server;
let hookUrl = '';
// --- an S3 hop for one worker: forwards to the cluster's S3, holding output uploads while asked
const heldUploads: Array<() => void> = [];
let holdUploads = false;
let holdPattern = /\/outputs\//;
const heldReads: Array<() => void> = [];
let holdPhotoReads = false;
let s3hop: http.Server;
let s3hopUrl = '';

let cluster: Cluster;
let store: PostgresStore;
let key = '';
let accountId = '';
let A: Node;
let B: Node;
let photos: Awaited<ReturnType<typeof startPhotoServer>>;
const workers: Node[] = [];

async function listen(s: http.Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

before(async () => {
  if (!DISTRIBUTED) return;
  const image = await fixture('coffee.png');
  provider = http.createServer(async (req, res) => {
    for await (const _ of req) void _;
    generations++;
    const respond = async () => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ created: 1, data: [{ b64_json: image.toString('base64') }] }));
    };
    // The OpenAI Images API's content-policy refusal: the job fails with CONTENT_MODERATION.
    const refuse = async () => {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'Your request was rejected by the safety system.', type: 'image_generation_user_error', code: 'moderation_blocked' } }));
    };
    if (auto) await respond();
    else pending.push({ respond, refuse, at: Date.now() });
  });
  const providerUrl = await listen(provider);
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const k = `${req.headers['x-likeness-delivery']}#${req.headers['x-likeness-attempt']}`;
      hits.set(k, (hits.get(k) ?? 0) + 1);
      bodies.push({ delivery: String(req.headers['x-likeness-delivery']), body });
      res.writeHead(failHooks ? 500 : 204).end();
    });
  });
  hookUrl = (await listen(receiver)) + '/hook';
  photos = await startPhotoServer();
  s3hop = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = () => {
        const target = new URL(cluster.env.LIKENESS_S3_ENDPOINT!);
        const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => res.destroy());
        up.end(Buffer.concat(chunks));
      };
      if (holdUploads && req.method === 'PUT' && holdPattern.test(req.url ?? '')) heldUploads.push(forward);
      else if (holdPhotoReads && req.method === 'GET' && /\/photos\//.test(req.url ?? '')) heldReads.push(forward);
      else forward();
    });
  });
  s3hopUrl = await listen(s3hop);
  cluster = await startCluster({
    LIKENESS_OPENAI_API_KEY: 'sk-test',
    LIKENESS_OPENAI_BASE_URL: `${providerUrl}/v1`,
    LIKENESS_CREDITS: '1',
    LIKENESS_CALLBACK_RETRY_DELAYS_S: '0,1,1',
    LIKENESS_ROLES: 'api',
  });
});

after(async () => {
  if (!DISTRIBUTED) return;
  for (const p of pending.splice(0)) await p.respond().catch(() => {});
  await store?.close();
  await cluster?.close();
  await photos?.close();
  provider?.closeAllConnections();
  await new Promise((r) => provider?.close(r));
  await new Promise((r) => receiver?.close(r));
  s3hop?.closeAllConnections();
  await new Promise((r) => s3hop?.close(r));
});

const api = async (node: Node, method: string, path: string, body?: unknown) => {
  const res = await fetch(node.url + path, {
    method,
    headers: { 'X-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

const startWorker = async (name: string, extra: Record<string, string> = {}) => {
  const w = await cluster.start(name, 'worker', extra);
  workers.push(w);
  return w;
};

const waitPending = (n: number, what: string) => poll(async () => (pending.length >= n ? true : undefined), 60_000, 100).catch(() => assert.fail(`no ${what}`));

test('five nodes start at once on an empty database: one schema, every node serves', opts, async () => {
  const nodes = await Promise.all(['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => cluster.start(n, 'serve')));
  store = await openPostgresStore(cluster.env.LIKENESS_DATABASE_URL!);
  const applied = await store.db.selectFrom('kysely_migration' as never).select('name' as never).execute();
  assert.deepEqual(applied.map((r) => (r as { name: string }).name).sort(), Object.keys(migrations).sort());
  const account = await store.accounts.create('cluster');
  accountId = account.id;
  key = newKey();
  await store.keys.create(account.id, key, 'cluster');
  await store.credits.grant(account.id, 1_000_000_000, 'test');
  for (const n of nodes) assert.equal((await api(n, 'GET', '/v1/phota/profiles/ids')).status, 200, n.name);
  [A, B] = nodes;
  // The other three leave gracefully (SIGTERM drains and exits 0).
  for (const n of nodes.slice(2)) n.kill('SIGTERM');
  for (const n of nodes.slice(2)) assert.equal(await n.exited, 0);
});

test('a profile added on A is trained by a worker and polled on B; kill -9 mid-training → another worker finishes it', opts, async () => {
  const w1 = await startWorker('w1');
  const urls = ['0090', '0091', '0092', '0093', '0094', '0095'].map((n) => photos.url(`caltech_p06_${n}.jpg`));
  const add = await api(A, 'POST', '/v1/phota/profiles/add', { image_urls: urls, training_tier: 'fast' });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  const id = add.body.profile_id;
  await poll(async () => ((await api(B, 'GET', `/v1/phota/profiles/${id}/status`)).body.status === 'IN_PROGRESS' ? true : undefined), 120_000, 100);
  const w2 = await startWorker('w2');
  w1.kill('SIGKILL');
  const killedAt = Date.now();
  const done = await poll(async () => {
    const s = await api(B, 'GET', `/v1/phota/profiles/${id}/status`);
    return s.body.status === 'READY' || s.body.status === 'ERROR' ? s.body : undefined;
  }, 240_000, 250);
  assert.equal(done.status, 'READY', JSON.stringify(done) + w2.output());
  const p = await store.profiles.getById(id);
  assert.ok(p!.runs >= 2, `the training ran again after the kill (runs ${p!.runs})`);
  console.log(`# training finished ${Date.now() - killedAt} ms after kill -9 (lease 3 s + a fresh worker loading models)`);
  // Charged once for the training.
  const charged = (await store.credits.ledger(accountId, 1000)).filter((e) => e.reference === id && e.kind === 'settle');
  assert.equal(charged.length, 1);
});

async function submit(node: Node, extra: Record<string, unknown> = {}) {
  const r = await api(node, 'POST', '/v1/phota/generate', {
    prompt: 'A lighthouse at dusk',
    base_model: 'gpt-image-2',
    async: true,
    response_mode: 'urls',
    callback_url: hookUrl,
    ...extra,
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body.job_id as string;
}

const finished = (node: Node, id: string) =>
  poll(async () => {
    const j = await api(node, 'GET', `/v1/phota/jobs/${id}`);
    return j.body.status === 'SUCCEEDED' || j.body.status === 'FAILED' ? j.body : undefined;
  }, 120_000, 200);

const callbacksFor = (jobId: string) => bodies.filter((b) => JSON.parse(b.body).job_id === jobId);

test('kill -9 a worker mid-job: another worker finishes it; one result, one charge, one callback', opts, async () => {
  // w2 is the only worker now.
  const id = await submit(A);
  await waitPending(1, 'generation request from w2');
  const w3 = await startWorker('w3');
  workers[1]!.kill('SIGKILL'); // w2
  await waitPending(2, 'generation request from w3 after the lease passed');
  for (const p of pending.splice(0)) await p.respond().catch(() => {}); // the first socket is dead
  const job = await finished(B, id);
  assert.equal(job.status, 'SUCCEEDED', JSON.stringify(job) + w3.output());
  await poll(async () => (callbacksFor(id).length >= 1 ? true : undefined), 30_000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(callbacksFor(id).length, 1);
  assert.equal((await store.credits.ledger(accountId, 1000)).filter((e) => e.reference === id && e.kind === 'settle').length, 1);
  assert.equal((await store.jobs.getById(id))!.runs, 2);
});

test('SIGSTOP a worker past its lease while it stores its output; another takes over and fails; SIGCONT: the late run reaches its final write, refused; it charges nothing; one outcome, one callback', opts, async () => {
  // w3 (idle) makes way for w3s, whose S3 traffic goes through the hop, so the test can pause
  // it after its generation and before its final write: past every abort, at the fence itself.
  workers[2]!.kill('SIGKILL');
  await workers[2]!.exited;
  const late = await startWorker('w3s', { LIKENESS_S3_ENDPOINT: s3hopUrl });
  const before = await store.credits.balance(accountId);
  holdUploads = true;
  const id = await submit(A);
  await waitPending(1, 'generation request from w3s');
  await pending.shift()!.respond(); // w3s has its image...
  await poll(async () => (heldUploads.length >= 1 ? true : undefined), 30_000, 50).catch(() => assert.fail(`no output upload from w3s\n${late.output()}`));
  late.kill('SIGSTOP'); // ...and is paused while storing it
  holdUploads = false;
  await startWorker('w4');
  await waitPending(1, 'generation request from w4 after the lease passed');
  // w3s wakes up while w4 holds the lease: its upload completes and it reaches its final write.
  heldUploads.shift()!();
  late.kill('SIGCONT');
  await late.waitFor(/late job run/, 60_000);
  console.log('# the paused worker reached its final write and it was refused (late job run)');
  // Only then does w4's generation end, refused by the base model: the job fails and its hold
  // is returned. Had w3s charged before its refused write, that refund would find nothing.
  await pending.shift()!.refuse();
  const job = await finished(B, id);
  assert.equal(job.status, 'FAILED', JSON.stringify(job));
  assert.equal(job.error.code, 'CONTENT_MODERATION');
  await poll(async () => (callbacksFor(id).length >= 1 ? true : undefined), 30_000);
  await new Promise((r) => setTimeout(r, 2500)); // give any wrongful write or callback time to show
  assert.equal(callbacksFor(id).length, 1, 'one callback');
  assert.equal(JSON.parse(callbacksFor(id)[0]!.body).status, 'FAILED');
  assert.equal((await store.jobs.getById(id))!.status, 'FAILED', 'the late SUCCEEDED write did not land');
  const ledger = await store.credits.ledger(accountId, 1000);
  assert.equal(ledger.filter((e) => e.reference === id && e.kind === 'settle').length, 0, 'no charge');
  assert.equal(await store.credits.balance(accountId), before, 'the whole hold came back');
  late.kill('SIGKILL');
  await late.exited;
});

test('two identical client_request_id submissions on A and B at the same moment → one job, one credit hold', opts, async () => {
  auto = true;
  const body = { client_request_id: 'same-moment-1' };
  const [a, b] = await Promise.all([submit(A, body), submit(B, body)]);
  assert.equal(a, b);
  const rows = await store.db.selectFrom('jobs').select('id').where('client_request_id', '=', 'same-moment-1').execute();
  assert.equal(rows.length, 1);
  const job = await finished(A, a);
  assert.equal(job.status, 'SUCCEEDED');
  const ledger = await store.credits.ledger(accountId, 1000);
  const holds = ledger.filter((e) => e.kind === 'reserve' && e.reference === a);
  const kept = holds.filter((h) => !ledger.some((e) => e.reservationId === h.id && e.kind === 'refund'));
  assert.equal(kept.length, 1, 'one hold stands (a loser of the race had its hold returned)');
});

test('a download URL minted on A works on B', opts, async () => {
  const id = await submit(A);
  const job = await finished(A, id);
  const url = new URL(job.download_urls?.[0] ?? job.result.download_urls[0]);
  assert.equal(url.origin, A.url);
  const onB = B.url + url.pathname + url.search;
  const res = await fetch(onB);
  assert.equal(res.status, 200);
  assert.match(String(res.headers.get('content-type')), /^image\/(jpeg|png)$/);
  assert.ok((await res.arrayBuffer()).byteLength > 100);
});

test('SIGSTOP a training worker at its final write; the run that takes over ends in ERROR; SIGCONT: the late READY is refused and charges nothing', opts, async () => {
  // Only the two workers of this test train: the others go.
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.kill('SIGKILL');
  for (const w of workers) await w.exited;
  const late = await startWorker('t1', { LIKENESS_S3_ENDPOINT: s3hopUrl });
  const before = await store.credits.balance(accountId);
  holdPattern = /\/picture\.jpg/;
  holdUploads = true;
  const urls = ['0090', '0091', '0092', '0093', '0094', '0095'].map((n) => photos.url(`caltech_p06_${n}.jpg`));
  const add = await api(A, 'POST', '/v1/phota/profiles/add', { image_urls: urls, training_tier: 'fast' });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  const id = add.body.profile_id as string;
  // t1 trains the profile and stores its picture: the step right before its final write.
  await poll(async () => (heldUploads.length >= 1 ? true : undefined), 240_000, 100).catch(() => assert.fail(`no picture upload from t1\n${late.output()}`));
  late.kill('SIGSTOP');
  holdUploads = false;
  // t2 takes the training over; its photo reads wait in the hop while the photos are removed,
  // so its run ends in ERROR (every photo gone), after t1 has reached its write.
  holdPhotoReads = true;
  const winner = await startWorker('t2', { LIKENESS_S3_ENDPOINT: s3hopUrl });
  await poll(async () => (heldReads.length >= 1 ? true : undefined), 60_000, 100).catch(() => assert.fail(`no photo read from t2\n${winner.output()}`));
  const blobs = await openBlobStore(loadConfig(cluster.env));
  await blobs.deletePrefix(`profiles/${id}/photos/`);
  blobs.client?.destroy();
  heldUploads.shift()!();
  late.kill('SIGCONT');
  await late.waitFor(/late training run/, 60_000);
  console.log('# the paused training run reached its final write and it was refused');
  holdPhotoReads = false;
  for (const f of heldReads.splice(0)) f();
  const done = await poll(async () => {
    const st = await api(B, 'GET', `/v1/phota/profiles/${id}/status`);
    return st.body.status === 'READY' || st.body.status === 'ERROR' ? st.body : undefined;
  }, 120_000, 200);
  assert.equal(done.status, 'ERROR', JSON.stringify(done) + winner.output());
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await store.profiles.getById(id))!.status, 'ERROR', 'the late READY did not land');
  const ledger = await store.credits.ledger(accountId, 1000);
  assert.equal(ledger.filter((e) => e.reference === id && e.kind === 'settle').length, 0, 'no charge for a profile that ended in ERROR');
  assert.equal(await store.credits.balance(accountId), before, 'the whole hold came back');
  late.kill('SIGKILL');
  winner.kill('SIGKILL');
  await late.exited;
  await winner.exited;
});

test('two delivery processes: every webhook attempt is sent exactly once', opts, async () => {
  failHooks = true;
  await startWorker('w5');
  await startWorker('w6');
  const delivery = createDeliveryService({ store, allowHttp: true, allowPrivate: true, schedule: [0, 1000, 1000] });
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push(await delivery.enqueue(accountId, hookUrl, { n: i }));
  await poll(async () => {
    const rows = await Promise.all(ids.map((d) => store.deliveries.get(d)));
    return rows.every((r) => r?.status === 'FAILED') ? true : undefined;
  }, 60_000, 200);
  for (const d of ids) for (const attempt of [1, 2, 3]) assert.equal(hits.get(`${d}#${attempt}`), 1, `${d} attempt ${attempt}`);
  assert.equal(ids.reduce((n, d) => n + [1, 2, 3, 4].reduce((m, a) => m + (hits.get(`${d}#${a}`) ?? 0), 0), 0), 36);
});
