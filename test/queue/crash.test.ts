// Real kill -9: a child process claims a task and is SIGKILLed mid-handler; a new queue on
// the same file must run the task to completion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { createEmbeddedQueue } from '../../src/queue/embedded.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'slow-worker.js');

test('kill -9 during a handler: the task completes after restart', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'likeness-crash-'));
  const file = join(dir, 'q.db');
  try {
    const child = spawn(process.execPath, [fixture], {
      env: { ...process.env, LIKENESS_QUEUE_FIXTURE_DB: file },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<NodeJS.Signals | number | null>((r) => child.on('exit', (code, sig) => r(sig ?? code)));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child never started the task; stderr: ${err}`)), 30_000);
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('started 1')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`child exited early; stderr: ${err}`)));
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const store = await openSqliteStore(file);
    try {
      const before = await store.db.selectFrom('queue_tasks').selectAll().where('id', '=', 'crash-task').executeTakeFirstOrThrow();
      assert.equal(before.status, 'running', 'the dead process still holds it');
      const queue = createEmbeddedQueue(store.db, { pollMs: 20 });
      const runs: { attempt: number; payload: unknown }[] = [];
      queue.process('crashy', { concurrency: 1 }, async (t) => void runs.push({ attempt: t.attempt, payload: t.payload }));
      queue.start();
      const end = Date.now() + 20_000;
      for (;;) {
        const r = await store.db.selectFrom('queue_tasks').select('status').where('id', '=', 'crash-task').executeTakeFirstOrThrow();
        if (r.status === 'done') break;
        if (Date.now() > end) assert.fail(`task not completed, status ${r.status}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      await queue.stop(1000);
      assert.deepEqual(runs, [{ attempt: 2, payload: { n: 42 } }]);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
