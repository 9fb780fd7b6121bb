// Training throughput: 20 queued 10-photo profiles (caltech-faces p15, 1024 px), profiles per
// minute from the first submission to the last READY, on the embedded defaults (one process)
// and on PostgreSQL + BullMQ/Redis + S3 (s3rver in this process) with an API node in this
// process and 1, 2 and 3 `likeness worker` processes. Each configuration first trains one
// profile per worker process (models loaded), then the 20 are timed.
// Run: npm run bench -- scale-training   (BENCH_PROFILES=20, BENCH_WORKERS=1,2,3)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, readFile, mkdir, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { newKey } from '../src/store/ids.js';
import { distributedEnv } from '../test/http/harness.js';

const TESTDATA = process.env.LIKENESS_TESTDATA ?? new URL('../../../shared/testdata/', import.meta.url).pathname;
const CLI = new URL('../src/cli.js', import.meta.url).pathname;
const PROFILES = Number(process.env.BENCH_PROFILES ?? 20);
const WORKER_COUNTS = (process.env.BENCH_WORKERS ?? '1,2,3').split(',').map(Number);

async function photoSet(): Promise<string[][]> {
  const labels = await readFile(join(TESTDATA, 'caltech-faces/labels.csv'), 'utf8');
  const files = labels.split('\n').slice(1).filter((l) => l.split(',')[1] === 'p15').map((l) => l.split(',')[0]!);
  return [files];
}

async function main(): Promise<Record<string, unknown>> {
  const [files] = await photoSet();
  const photos = new Map<string, Buffer>();
  for (const [i, f] of files!.entries()) photos.set(`p15_${i}.jpg`, await sharp(await readFile(join(TESTDATA, 'caltech-faces', f))).resize({ width: 1024 }).jpeg({ quality: 92 }).toBuffer());
  const names = [...photos.keys()];
  const srv = http.createServer((req, res) => {
    const data = photos.get((req.url ?? '').slice(1));
    if (!data) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(data);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
  // Profile i: 10 consecutive photos starting at i (wrapping), so every profile is different.
  const set = (i: number) => Array.from({ length: 10 }, (_, k) => base + names[(i + k) % names.length]);

  async function measure(server: RunningServer, warmups: number) {
    const account = await server.ctx.store.accounts.create('bench');
    const key = newKey();
    await server.ctx.store.keys.create(account.id, key, 'bench');
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(server.url + '/v1/phota' + path, { method, headers: { 'X-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return (await r.json()) as any;
    };
    const runBatch = async (n: number, offset: number) => {
      const t0 = performance.now();
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push((await call('POST', '/profiles/add', { image_urls: set(offset + i), training_tier: 'standard' })).profile_id);
      const statuses = new Map<string, string>();
      while (statuses.size < n) {
        for (const id of ids) {
          if (statuses.has(id)) continue;
          const st = await call('GET', `/profiles/${id}/status`);
          if (st.status === 'READY' || st.status === 'ERROR') statuses.set(id, st.status);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      // Each profile runs two steps (fetch, train): more runs mean a lease was lost under load.
      let extraRuns = 0;
      for (const id of ids) extraRuns += Math.max(0, ((await server.ctx.store.profiles.getById(id))?.runs ?? 2) - 2);
      return { ms: performance.now() - t0, ready: [...statuses.values()].filter((s) => s === 'READY').length, extraRuns };
    };
    await runBatch(warmups, 100); // loads the models in every worker process
    const timed = await runBatch(PROFILES, 0);
    return { seconds: +(timed.ms / 1000).toFixed(1), profiles_per_min: +((PROFILES / timed.ms) * 60_000).toFixed(2), ready: timed.ready, runs_beyond_fetch_and_train: timed.extraRuns };
  }

  const results: Array<Record<string, unknown>> = [];
  const quiet = { PORT: '0', HOST: '127.0.0.1', LIKENESS_LOG_LEVEL: 'silent', LIKENESS_ALLOW_PRIVATE_URLS: '1', LIKENESS_MAX_QUEUE_DEPTH: '1000' };
  try {
    {
      const dataDir = await mkdtemp(join(tmpdir(), 'likeness-bench-embedded-'));
      const load = loadavg()[0]!.toFixed(2);
      const server = await startServer(loadConfig({ ...quiet, LIKENESS_DATA_DIR: dataDir }), { log: () => {} });
      try {
        results.push({ config: 'embedded (SQLite, in-process queue, local blobs), 1 process', load_average: load, ...(await measure(server, 1)) });
      } finally {
        await server.close();
        await rm(dataDir, { recursive: true, force: true });
      }
      console.log(JSON.stringify(results.at(-1)));
    }
    for (const n of WORKER_COUNTS) {
      const dist = await distributedEnv();
      const dataDir = await mkdtemp(join(tmpdir(), 'likeness-bench-dist-'));
      const env = { ...quiet, ...dist.env, LIKENESS_DATA_DIR: dataDir };
      const load = loadavg()[0]!.toFixed(2);
      const server = await startServer(loadConfig({ ...env, LIKENESS_ROLES: 'api' }), { log: () => {} });
      const children: ChildProcess[] = [];
      try {
        for (let i = 0; i < n; i++) {
          const child = spawn(process.execPath, [CLI, 'worker'], { env: { ...process.env, ...env, LIKENESS_DATA_DIR: join(dataDir, `w${i}`) }, stdio: ['ignore', 'pipe', 'inherit'] });
          children.push(child);
          await new Promise<void>((resolve, reject) => {
            child.stdout!.on('data', (c: Buffer) => /worker running/.test(c.toString()) && resolve());
            child.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
          });
        }
        results.push({ config: `distributed (Postgres, BullMQ, S3 via s3rver): API node + ${n} worker process${n > 1 ? 'es' : ''}`, load_average: load, ...(await measure(server, n)) });
      } finally {
        for (const c of children) c.kill('SIGTERM');
        await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
        await server.close();
        await dist.cleanup();
        await rm(dataDir, { recursive: true, force: true });
      }
      console.log(JSON.stringify(results.at(-1)));
    }
    console.log('\n| configuration | load avg (1 min) at start | 20 profiles, s | profiles/min | READY | extra runs (lost leases) |\n|---|---|---|---|---|---|');
    for (const r of results) console.log(`| ${r.config} | ${r.load_average} | ${r.seconds} | ${r.profiles_per_min} | ${r.ready}/${PROFILES} | ${r.runs_beyond_fetch_and_train} |`);
    const embedded = results[0]!.profiles_per_min as number;
    const one = results.find((r) => String(r.config).includes('+ 1 worker'))?.profiles_per_min as number | undefined;
    if (one) console.log(`\none worker node / embedded = ${(one / embedded).toFixed(2)} (target ≥ 0.90)`);
    await mkdir('.bench-out', { recursive: true });
    await writeFile('.bench-out/scale-training.json', JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
    return { results };
  } finally {
    await new Promise((r) => srv.close(r));
  }
}

export { main };

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
