// GET /v1/phota/profiles/{id}/status requests per second next to a bare Fastify route that
// returns the same JSON, in the same run, alternating (wrk, 1 thread, 32 connections), on
// SQLite and on PostgreSQL. The profile is READY with a realistic model (50 faces × 128-d
// embeddings, 10 photo reports), so a poll that parsed the model would show it.
// Needs `wrk` (Debian package `wrk`); PostgreSQL at LIKENESS_TEST_PG_URL or 127.0.0.1:5432.
// Run: npm run bench -- poll   (BENCH_POLL_SECONDS, BENCH_POLL_ROUNDS to change the length)
import { execFile } from 'node:child_process';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { newKey, newProfileId } from '../src/store/ids.js';
import { createTestDatabase } from '../test/support/backends.js';

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_POLL_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_POLL_ROUNDS ?? 3);

async function wrk(url: string, headers: Record<string, string> = {}): Promise<number> {
  const args = ['-t1', '-c32', `-d${SECONDS}s`, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  const { stdout } = await run('wrk', args, { timeout: (SECONDS + 30) * 1000 });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  if (!m) throw new Error(`wrk printed no rate:\n${stdout}`);
  if (errors) throw new Error(`wrk saw ${errors[1]} error responses from ${url}`);
  return Number(m[1]);
}

async function readyProfile(server: RunningServer) {
  const store = server.ctx.store;
  const account = await store.accounts.create('bench');
  const key = newKey();
  await store.keys.create(account.id, key, 'bench');
  const id = newProfileId();
  const urls = Array.from({ length: 10 }, (_, i) => `https://example.com/photo-${i}.jpg`);
  await store.profiles.create({ id, accountId: account.id, tag: null, tier: 'standard', status: 'VALIDATING', message: null, progress: 0, imageUrls: urls, images: null, model: null });
  const model = { centroid: Array.from({ length: 128 }, Math.random), faces: Array.from({ length: 50 }, () => Array.from({ length: 128 }, Math.random)), threshold: 0.95, referencePhotos: [0, 1, 2] };
  await store.profiles.update(id, { status: 'READY', progress: 1, message: null, model, images: urls.map((url) => ({ url, accepted: true, reasons: [] })) });
  const body = await (await fetch(`${server.url}/v1/phota/profiles/${id}/status`, { headers: { 'X-API-Key': key } })).text();
  return { key, id, body };
}

export async function main(): Promise<Record<string, unknown>> {
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const dataDir = await mkdtemp(join(tmpdir(), 'likeness-bench-poll-'));
  const database = await createTestDatabase();
  const base = { PORT: '0', HOST: '127.0.0.1', LIKENESS_LOG_LEVEL: 'silent', LIKENESS_ROLES: 'api' };
  const sqlite = await startServer(loadConfig({ ...base, LIKENESS_DATA_DIR: join(dataDir, 'sqlite') }), { log: () => {} });
  const pg = await startServer(loadConfig({ ...base, LIKENESS_DATA_DIR: join(dataDir, 'pg'), LIKENESS_DATABASE_URL: database.url }), { log: () => {} });
  const bare = Fastify({ logger: false });
  try {
    const s = await readyProfile(sqlite);
    const p = await readyProfile(pg);
    // The same JSON, from memory: what a poll costs with no store, auth or parsing at all.
    const payload = JSON.parse(s.body);
    bare.get('/status', async () => payload);
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/status`;
    const rows: Array<{ round: number; bare: number; sqlite: number; postgres: number }> = [];
    await wrk(bareUrl); // warm-up
    await wrk(`${sqlite.url}/v1/phota/profiles/${s.id}/status`, { 'X-API-Key': s.key });
    await wrk(`${pg.url}/v1/phota/profiles/${p.id}/status`, { 'X-API-Key': p.key });
    for (let round = 1; round <= ROUNDS; round++) {
      const b = await wrk(bareUrl);
      const sq = await wrk(`${sqlite.url}/v1/phota/profiles/${s.id}/status`, { 'X-API-Key': s.key });
      const b2 = await wrk(bareUrl);
      const pq = await wrk(`${pg.url}/v1/phota/profiles/${p.id}/status`, { 'X-API-Key': p.key });
      rows.push({ round, bare: Math.round((b + b2) / 2), sqlite: Math.round(sq), postgres: Math.round(pq) });
    }
    const sum = (k: 'bare' | 'sqlite' | 'postgres') => rows.reduce((t, r) => t + r[k], 0);
    const result = {
      date: new Date().toISOString(),
      load_average_at_start: load,
      load_average_at_end: loadavg().map((l) => l.toFixed(2)).join(' '),
      wrk: `wrk -t1 -c32 -d${SECONDS}s, ${ROUNDS} alternating rounds`,
      rounds: rows,
      sqlite_vs_bare: +(sum('sqlite') / sum('bare')).toFixed(3),
      postgres_vs_bare: +(sum('postgres') / sum('bare')).toFixed(3),
      status_body_bytes: s.body.length,
    };
    console.log(`\nload average ${result.load_average_at_start} → ${result.load_average_at_end}; ${result.wrk}\n`);
    console.log('| round | bare Fastify req/s | status on SQLite req/s | status on Postgres req/s |\n|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.round} | ${r.bare} | ${r.sqlite} | ${r.postgres} |`);
    console.log(`\nSQLite / bare = ${result.sqlite_vs_bare} (target ≥ 0.5); Postgres / bare = ${result.postgres_vs_bare} (target ≥ 0.3)`);
    await mkdir('.bench-out', { recursive: true });
    await writeFile('.bench-out/poll.json', JSON.stringify(result, null, 2));
    return result;
  } finally {
    await bare.close();
    await sqlite.close();
    await pg.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
