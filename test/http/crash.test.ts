// Durability with a real process: start `likeness serve`, kill -9 it while a job runs and a
// profile trains, start it again on the same data directory: both finish. Then SIGTERM
// shuts it down cleanly.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, poll, startPhotoServer } from './harness.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const children: ChildProcess[] = [];
let dataDir = '';

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function env() {
  return {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LIKENESS_DATA_DIR: dataDir,
    LIKENESS_LOG_LEVEL: 'warn',
    LIKENESS_ALLOW_PRIVATE_URLS: '1',
    LIKENESS_WORKERS: '1',
  };
}

async function serve(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'serve'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await poll(async () => {
    const m = /listening on (http:\/\/[^/\s]+)/.exec(out);
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    return m ? m[1] : undefined;
  }, 60_000, 50);
  return { child, url };
}

test('kill -9 mid-job and mid-training; after restart both finish; SIGTERM exits 0', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'likeness-crash-'));
  const created = execFileSync(process.execPath, [CLI, 'keys', 'create', '--name', 'crash'], { env: env(), encoding: 'utf8' });
  const key = created.trim().split('\n').pop()!.trim();
  assert.match(key, /^lk_[0-9A-Za-z]{40}$/);
  const photos = await startPhotoServer();
  try {
    let { child, url } = await serve();
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(url + path, {
        method,
        headers: { 'X-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: r.status, body: (await r.json()) as any };
    };
    const image = (await fixture('london_001_neutral.jpg')).toString('base64');
    const job = await call('POST', '/v1/phota/enhance', { image, async: true, response_mode: 'urls', num_output_images: 2 });
    assert.equal(job.status, 202);
    const names = ['0090', '0091', '0092', '0093', '0094', '0096'].map((n) => photos.url(`caltech_p06_${n}.jpg`));
    const prof = await call('POST', '/v1/phota/profiles/add', { image_urls: names, training_tier: 'fast' });
    assert.equal(prof.status, 200);

    // Wait until the job is running, then kill the server without warning.
    await poll(async () => ((await call('GET', `/v1/phota/jobs/${job.body.job_id}`)).body.status === 'RUNNING' ? true : undefined), 120_000, 50);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    ({ child, url } = await serve());
    const done = await poll(async () => {
      const r = await call('GET', `/v1/phota/jobs/${job.body.job_id}`);
      return r.body.status === 'SUCCEEDED' || r.body.status === 'FAILED' ? r.body : undefined;
    }, 300_000, 500);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
    assert.equal(done.result.download_urls.length, 2);
    const st = await poll(async () => {
      const r = await call('GET', `/v1/phota/profiles/${prof.body.profile_id}/status`);
      return r.body.status === 'READY' || r.body.status === 'ERROR' ? r.body : undefined;
    }, 300_000, 500);
    assert.equal(st.status, 'READY', st.message);

    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 0);
  } finally {
    await photos.close();
  }
});
