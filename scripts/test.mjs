// `npm test` after the build: the whole suite on the embedded defaults, then the suites that
// exercise store, queue and blobs again on PostgreSQL + Redis + S3 (s3rver in-process), when
// the machine's PostgreSQL and Redis answer. Without them the second pass is skipped and says
// so. LIKENESS_TEST_DISTRIBUTED=0 skips it on purpose; =only runs just it.
// Ends with one line counting both passes: "tests: N passed, N failed, N skipped".
import { spawn } from 'node:child_process';
import net from 'node:net';

// What reruns on the distributed adapters (README "Tests"): everything that reaches the
// store, the queue or the blobs. Pure units (identity, imaging, enhance, providers, studio
// prompt logic) run once: no adapter is under them.
// http/enhance and http/review exercise the local enhance pipeline and identity review
// (CPU-heavy, minutes) through sync requests that never touch the queue: they run once.
const HTTP = ['api', 'cli', 'crash', 'credits', 'framing', 'jobs', 'keys', 'limits', 'overload', 'studio', 'training', 'uploads'].map((n) => `dist/test/http/${n}.test.js`);
const DISTRIBUTED_DIRS = ['dist/test/store/', 'dist/test/queue/', 'dist/test/blobs/', 'dist/test/credits/', 'dist/test/jobs/', ...HTTP, 'dist/test/cluster/'];

const pgUrl = new URL(process.env.LIKENESS_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
const redisUrl = new URL(process.env.LIKENESS_TEST_REDIS_URL || 'redis://127.0.0.1:6379');

function reachable(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port), timeout: 2000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('timeout', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(false));
  });
}

function run(label, args, env) {
  return new Promise((resolve) => {
    console.log(`\n=== ${label} ===`);
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    const counts = { pass: 0, fail: 0, skipped: 0 };
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    });
    child.on('close', (code) => {
      for (const k of Object.keys(counts)) {
        const m = new RegExp(`^# ${k} (\\d+)$`, 'm').exec(tail);
        if (m) counts[k] = Number(m[1]);
      }
      resolve({ code: code ?? 1, counts });
    });
  });
}

const mode = process.env.LIKENESS_TEST_DISTRIBUTED;
const results = [];
if (mode !== 'only') results.push(await run('embedded defaults (SQLite, in-process queue, local blobs)', ['dist/test/'], { LIKENESS_TEST_DISTRIBUTED: '0' }));
if (mode !== '0') {
  const pg = await reachable(pgUrl.hostname, pgUrl.port || 5432);
  const redis = await reachable(redisUrl.hostname, redisUrl.port || 6379);
  if (pg && redis) {
    results.push(await run('distributed adapters (PostgreSQL, BullMQ on Redis, S3 via s3rver)', DISTRIBUTED_DIRS, { LIKENESS_TEST_DISTRIBUTED: '1' }));
  } else {
    const missing = [!pg && `PostgreSQL at ${pgUrl.host}`, !redis && `Redis at ${redisUrl.host}`].filter(Boolean).join(' and ');
    console.log(`\nSKIPPED the distributed pass: ${missing} not reachable. Start them (or run .ci/run, which does) to test the PostgreSQL/Redis/S3 adapters.`);
    if (mode === 'only' || process.env.CI === 'true') results.push({ code: 1, counts: { pass: 0, fail: 1, skipped: 0 } });
  }
}
const total = results.reduce((t, r) => ({ pass: t.pass + r.counts.pass, fail: t.fail + r.counts.fail, skipped: t.skipped + r.counts.skipped }), { pass: 0, fail: 0, skipped: 0 });
console.log(`\ntests: ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
