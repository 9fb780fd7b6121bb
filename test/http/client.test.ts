// The client CLI against a real server on 127.0.0.1 (LIKENESS_URL, LIKENESS_API_KEY): train a
// profile from local files with --wait (plain progress lines when not on a terminal, the
// per-photo report with advice), enhance a photo, generate through a base-model stand-in.
// Then /metrics is scraped: the series the traffic should have moved did.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { startTestServer, fixture, FIXTURES, type TestServer } from './harness.js';
import { startOpenAIImages } from '../providers/openai-images.js';
import type { StandIn } from '../providers/standin.js';
import { parseSeries, sample, type Sample } from './metrics-parse.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
let s: TestServer;
let openai: StandIn;
let hook: http.Server;
let work: string;
let before0: Sample[];
let profileId = '';

before(async () => {
  openai = await startOpenAIImages(() => fixture('caltech_p06_0105.jpg'));
  hook = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  s = await startTestServer({
    LIKENESS_OPENAI_API_KEY: 'sk-test',
    LIKENESS_OPENAI_BASE_URL: `${openai.url}/v1`,
    LIKENESS_PROVIDER_MAX_ATTEMPTS: '1',
  });
  work = await mkdtemp(join(tmpdir(), 'likeness-client-'));
  before0 = parseSeries(await (await fetch(`${s.url}/metrics`)).text());
});
after(async () => {
  await s.close();
  await openai.close();
  await new Promise((r) => hook.close(r));
  await rm(work, { recursive: true, force: true });
});

function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, LIKENESS_URL: s.url, LIKENESS_API_KEY: s.key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

test('profiles create uploads local photos, waits with progress and prints the per-photo report', async () => {
  const wh = await s.json('PUT', '/v1/phota/webhook', { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` });
  assert.equal(wh.status, 200);
  const files = ['0090', '0091', '0092', '0093', '0094'].map((n) => join(FIXTURES, `caltech_p06_${n}.jpg`));
  const r = await cli('profiles', 'create', ...files, join(FIXTURES, 'coffee.png'), '--tag', 'me', '--wait');
  assert.equal(r.code, 0, r.out + r.err);
  profileId = /Profile ([a-z0-9]{20}) created \(fast tier, 6 photos\)/.exec(r.out)?.[1] ?? '';
  assert.ok(profileId, r.out);
  // Not a terminal: plain progress lines, no carriage returns.
  assert.match(r.err, /uploading 1\/6: caltech_p06_0090\.jpg/);
  assert.match(r.err, /Uploaded 6 photo\(s\)/);
  assert.ok(!r.err.includes('\r'));
  assert.match(r.err, /is READY/);
  assert.match(r.out, /5 of 6 photos accepted/);
  assert.match(r.out, /ok {7}.*caltech_p06_0090\.jpg/);
  assert.match(r.out, /refused {2}.*coffee\.png: no face\n\s+→ Use a photo where the face is clearly visible/);
  const st = await s.json('GET', `/v1/phota/profiles/${profileId}/status`);
  assert.equal(st.body.status, 'READY');
  const tagged = await s.json('GET', '/v1/phota/profiles/ids?tag=me');
  assert.deepEqual(tagged.body.profiles, [profileId]);
});

test('enhance writes the output and the similarity of the recognised face', async () => {
  const out = join(work, 'enhanced.jpg');
  const r = await cli('enhance', join(FIXTURES, 'caltech_p06_0100.jpg'), '-o', out, '--profile', profileId);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.err, /enhance: (queued|running) \d+ s/);
  assert.match(r.err, /enhance: done in \d+ s/);
  const meta = await sharp(out).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.match(r.out, new RegExp(`enhanced\\.jpg: ${profileId} similarity 0\\.\\d{3}`));
});

test('generate writes every output through the base model; a failing model is one clear line and exit 1', async () => {
  const dir = join(work, 'gen');
  const r = await cli('generate', `A portrait of [[${profileId}]] in a garden`, '-o', dir, '--model', 'gpt-image-2', '-n', '2');
  assert.equal(r.code, 0, r.out + r.err);
  const files = (await readdir(dir)).sort();
  assert.equal(files.length, 2);
  for (const f of files) assert.equal((await sharp(join(dir, f)).metadata()).format, 'jpeg');
  assert.match(r.out, new RegExp(`job_\\w+-1\\.jpg: ${profileId} similarity`));
  const bad = await cli('generate', 'please fail now', '-o', dir, '--model', 'gpt-image-2');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /likeness: [A-Z_]+: /);
  const noKey = await new Promise<number>((resolve) =>
    spawn(process.execPath, [CLI, 'generate', 'x'], { env: { ...process.env, LIKENESS_API_KEY: '' }, stdio: 'ignore' }).on('exit', (c) => resolve(c ?? -1)),
  );
  assert.equal(noKey, 1);
});

test('after that traffic the named series have moved', async () => {
  const now = parseSeries(await (await fetch(`${s.url}/metrics`)).text());
  const moved = (name: string, labels: Record<string, string> = {}) => (sample(now, name, labels) ?? 0) - (sample(before0, name, labels) ?? 0);
  assert.ok(moved('likeness_http_requests_total', { route: '/v1/phota/uploads', status: '200' }) >= 7);
  assert.ok(moved('likeness_http_request_duration_seconds_count', { route: '/v1/phota/jobs/:id' }) >= 2);
  assert.ok(moved('likeness_queue_wait_seconds_count', { queue: 'studio' }) >= 3);
  assert.ok(moved('likeness_queue_wait_seconds_count', { queue: 'profile.train' }) >= 1);
  assert.ok(moved('likeness_queue_tasks_total', { queue: 'profile.fetch', outcome: 'ok' }) >= 1);
  assert.equal(moved('likeness_training_duration_seconds_count', { outcome: 'ready' }), 1);
  assert.equal(moved('likeness_training_photos_total', { outcome: 'accepted' }), 5);
  assert.equal(moved('likeness_training_photos_total', { outcome: 'refused', reason: 'no face' }), 1);
  assert.equal(moved('likeness_studio_outputs_total', { base_model: 'local', operation: 'enhance' }), 1);
  assert.equal(moved('likeness_studio_outputs_total', { base_model: 'gpt-image-2', operation: 'generate' }), 2);
  assert.equal(moved('likeness_studio_requests_total', { base_model: 'gpt-image-2', operation: 'generate', outcome: 'ok' }), 1);
  assert.ok(moved('likeness_provider_request_duration_seconds_count', { base_model: 'gpt-image-2', outcome: 'ok' }) >= 1);
  assert.ok(moved('likeness_provider_errors_total', { base_model: 'gpt-image-2' }) >= 1);
  assert.ok(moved('likeness_identity_similarity_count', { operation: 'enhance' }) >= 1);
  assert.ok(moved('likeness_identity_similarity_count', { operation: 'generate' }) >= 2);
  assert.ok(moved('likeness_identity_similarity_sum', { operation: 'generate' }) > 1.5, 'similarities of the right person are high');
  assert.ok(moved('likeness_worker_busy_seconds_total') > 0);
  assert.ok(moved('likeness_worker_tasks_total', { outcome: 'ok' }) >= 6);
  assert.ok(moved('likeness_callback_deliveries_total', { outcome: 'delivered' }) >= 1);
  assert.equal(moved('likeness_uploads_total'), 7);
});
