// GET /v1/phota/profiles/{id}/status requests per second next to a bare Fastify route that
// returns the same JSON, in the same run, alternating (wrk, 1 thread, 32 connections), on
// SQLite and on PostgreSQL. Profiles are READY with a realistic model (50 faces × 128-d
// embeddings, 10 photo reports), so a poll that parsed the model would show it.
// Two workloads: every connection polls one profile ("one"), and the connections poll
// BENCH_POLL_PROFILES distinct profiles in turn ("many", a wrk Lua script; the bare route
// then takes the id as a path parameter too), so coalescing repeated ids cannot flatter it.
// Needs `wrk` (Debian package `wrk`); PostgreSQL at LIKENESS_TEST_PG_URL or 127.0.0.1:5432.
// Run: npm run bench -- poll   (BENCH_POLL_SECONDS, BENCH_POLL_ROUNDS, BENCH_POLL_PROFILES)
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
const PROFILES = Number(process.env.BENCH_POLL_PROFILES ?? 200);

interface Target {
  url: string;
  headers?: Record<string, string>;
  /** A wrk Lua script that rotates over paths (the "many" workload). */
  script?: string;
}

/** A wrk script requesting `paths` in turn. */
async function rotation(dir: string, name: string, paths: string[]): Promise<string> {
  const file = join(dir, `${name}.lua`);
  const list = paths.map((p) => JSON.stringify(p)).join(',\n');
  await writeFile(file, `local paths = {\n${list}\n}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n`);
  return file;
}

async function wrk({ url, headers = {}, script }: Target): Promise<number> {
  const args = ['-t1', '-c32', `-d${SECONDS}s`, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), ...(script ? ['-s', script] : []), url];
  const { stdout } = await run('wrk', args, { timeout: (SECONDS + 30) * 1000 });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  if (!m) throw new Error(`wrk printed no rate:\n${stdout}`);
  if (errors) throw new Error(`wrk saw ${errors[1]} error responses from ${url}`);
  return Number(m[1]);
}

async function readyProfiles(server: RunningServer, n: number) {
  const store = server.ctx.store;
  const account = await store.accounts.create('bench');
  const key = newKey();
  await store.keys.create(account.id, key, 'bench');
  const urls = Array.from({ length: 10 }, (_, i) => `https://example.com/photo-${i}.jpg`);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = newProfileId();
    await store.profiles.create({ id, accountId: account.id, tag: null, tier: 'standard', status: 'VALIDATING', message: null, progress: 0, imageUrls: urls, images: null, model: null });
    const model = { centroid: Array.from({ length: 128 }, Math.random), faces: Array.from({ length: 50 }, () => Array.from({ length: 128 }, Math.random)), threshold: 0.95, referencePhotos: [0, 1, 2] };
    await store.profiles.update(id, { status: 'READY', progress: 1, message: null, model, images: urls.map((url) => ({ url, accepted: true, reasons: [] })) });
    ids.push(id);
  }
  const body = await (await fetch(`${server.url}/v1/phota/profiles/${ids[0]}/status`, { headers: { 'X-API-Key': key } })).text();
  return { key, ids, body };
}

type Row = { round: number; bare: number; sqlite: number; postgres: number };

/** Alternating rounds: bare, SQLite, bare, Postgres (the bare figure is the mean of its two runs). */
async function rounds(bare: Target, sqlite: Target, pg: Target): Promise<Row[]> {
  const rows: Row[] = [];
  await wrk(bare); // warm-up
  await wrk(sqlite);
  await wrk(pg);
  for (let round = 1; round <= ROUNDS; round++) {
    const b = await wrk(bare);
    const sq = await wrk(sqlite);
    const b2 = await wrk(bare);
    const pq = await wrk(pg);
    rows.push({ round, bare: Math.round((b + b2) / 2), sqlite: Math.round(sq), postgres: Math.round(pq) });
  }
  return rows;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Ratios of the sums over rounds, and the median of per-round ratios (less swayed by a round the load spiked in). */
function summary(rows: Row[]) {
  const sum = (k: 'bare' | 'sqlite' | 'postgres') => rows.reduce((t, r) => t + r[k], 0);
  return {
    rounds: rows,
    sqlite_vs_bare: +(sum('sqlite') / sum('bare')).toFixed(3),
    postgres_vs_bare: +(sum('postgres') / sum('bare')).toFixed(3),
    sqlite_vs_bare_median: +median(rows.map((r) => r.sqlite / r.bare)).toFixed(3),
    postgres_vs_bare_median: +median(rows.map((r) => r.postgres / r.bare)).toFixed(3),
  };
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
    const s = await readyProfiles(sqlite, PROFILES);
    const p = await readyProfiles(pg, PROFILES);
    // The same JSON, from memory: what a poll costs with no store, auth or parsing at all.
    const payload = JSON.parse(s.body);
    bare.get('/status', async () => payload);
    bare.get<{ Params: { id: string } }>('/status/:id', async () => payload);
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const bareBase = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`;
    const statusPath = (id: string) => `/v1/phota/profiles/${id}/status`;
    const one = summary(
      await rounds(
        { url: `${bareBase}/status` },
        { url: `${sqlite.url}${statusPath(s.ids[0]!)}`, headers: { 'X-API-Key': s.key } },
        { url: `${pg.url}${statusPath(p.ids[0]!)}`, headers: { 'X-API-Key': p.key } },
      ),
    );
    const many = summary(
      await rounds(
        { url: bareBase, script: await rotation(dataDir, 'bare', s.ids.map((id) => `/status/${id}`)) },
        { url: sqlite.url, headers: { 'X-API-Key': s.key }, script: await rotation(dataDir, 'sqlite', s.ids.map(statusPath)) },
        { url: pg.url, headers: { 'X-API-Key': p.key }, script: await rotation(dataDir, 'pg', p.ids.map(statusPath)) },
      ),
    );
    const result = {
      date: new Date().toISOString(),
      load_average_at_start: load,
      load_average_at_end: loadavg().map((l) => l.toFixed(2)).join(' '),
      wrk: `wrk -t1 -c32 -d${SECONDS}s, ${ROUNDS} alternating rounds per workload`,
      one_profile: one,
      many_profiles: { profiles: PROFILES, ...many },
      status_body_bytes: s.body.length,
    };
    console.log(`\nload average ${result.load_average_at_start} → ${result.load_average_at_end}; ${result.wrk}\n`);
    for (const [name, w] of [['one profile', one], [`${PROFILES} profiles in turn`, many]] as const) {
      console.log(`${name}:\n\n| round | bare Fastify req/s | status on SQLite req/s | status on Postgres req/s |\n|---|---|---|---|`);
      for (const r of w.rounds) console.log(`| ${r.round} | ${r.bare} | ${r.sqlite} | ${r.postgres} |`);
      console.log(`\nSQLite / bare = ${w.sqlite_vs_bare} (target ≥ 0.5); Postgres / bare = ${w.postgres_vs_bare} (target ≥ 0.3)`);
      console.log(`median of per-round ratios: SQLite ${w.sqlite_vs_bare_median}, Postgres ${w.postgres_vs_bare_median}\n`);
    }
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
