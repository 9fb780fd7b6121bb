#!/usr/bin/env node
// The `likeness` command: `serve` (the roles in LIKENESS_ROLES: API and in-process workers by
// default), `worker` (queues only, no HTTP) and admin commands for keys and profiles, which
// work on the configured database (the data directory's SQLite, or LIKENESS_DATABASE_URL).
import { loadConfig, ConfigError, type Config } from './config.js';
import { startServer } from './server.js';
import { openStore } from './context.js';
import type { Store } from './store/types.js';
import { newKey } from './store/ids.js';
import { VERSION } from './version.js';
import { mkdir } from 'node:fs/promises';
import { creditsCommand, CREDITS_USAGE } from './credits/cli.js';
import { creditsEnabledFromEnv } from './credits/prices.js';

const USAGE = `likeness ${VERSION}: a self-hosted Phota-compatible API

Usage:
  likeness serve                     start the roles in LIKENESS_ROLES (default api,worker)
  likeness worker                    run queued work only (training, studio jobs, webhooks); no HTTP
  likeness migrate-data --from DIR   copy an embedded data dir (SQLite + blobs) to the
                                     configured Postgres / S3
  likeness jobs ls                   unfinished jobs with their run counts
  likeness keys create [--name N]    create an account and API key (printed once)
  likeness keys ls                   list keys (never the keys themselves)
  likeness keys revoke <key-id|key>  revoke a key
  likeness profiles ls               list profiles of every account
  likeness profiles disable <id>     mark a profile INACTIVE (it can no longer be used)
${CREDITS_USAGE.split('\n').slice(1).map((l) => '  ' + l.trim()).join('\n')}
Settings come from environment variables; see README.md.`;

function flag(args: string[], name: string): string | null {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : null;
}

async function withStore<T>(fn: (e: { store: Store }) => Promise<T>): Promise<T> {
  const store = await openStore(loadConfig());
  try {
    return await fn({ store });
  } finally {
    await store.close();
  }
}

async function createKey(store: Store, name: string | null) {
  const account = await store.accounts.create(name);
  const key = newKey();
  const rec = await store.keys.create(account.id, key, name);
  return { key, rec, account };
}

async function serve(config: Config) {
  await mkdir(config.dataDir, { recursive: true });
  // On first start with no keys, create one so a newcomer can call the API at once.
  const first = config.roles.has('api')
    ? await withStore(async ({ store }) => ((await store.keys.count()) === 0 ? createKey(store, 'default') : null))
    : null;
  const server = await startServer(config);
  if (first) {
    console.log(`\nNo API keys existed, so one was created (it is shown only this once):\n\n  X-API-Key: ${first.key}\n`);
  }
  const roles = [...config.roles].join(',');
  const where = config.databaseUrl ? 'database: postgres' : `data: ${config.dataDir}`;
  if (server.app) console.log(`Likeness ${VERSION} (${roles}) listening on ${server.url}/v1/phota/  (${where})`);
  else console.log(`Likeness ${VERSION} worker running (${where}); no HTTP port`);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${sig}: finishing in-flight work, then exiting`);
    server.close().then(
      () => process.exit(0),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
    setTimeout(() => process.exit(1), 30_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(argv: string[]) {
  const [cmd, sub, ...rest] = argv;
  switch (cmd) {
    case 'serve':
    case undefined:
      return serve(loadConfig());
    case 'worker':
      return serve(loadConfig({ ...process.env, LIKENESS_ROLES: 'worker' }));
    case 'migrate-data': {
      const from = flag([sub, ...rest].filter((a) => a !== undefined), '--from');
      if (!from) break;
      const { migrateData } = await import('./migrate-data.js');
      const report = await migrateData(from, loadConfig(), (line) => console.log(line));
      console.log(`Copied ${report.rows} rows in ${report.tables} tables and ${report.blobs} files.`);
      return;
    }
    case 'jobs':
      if (sub === 'ls') {
        await withStore(async ({ store }) => {
          const jobs = await store.jobs.listUnfinished(Date.now() + 1, 1000);
          if (jobs.length === 0) console.log('No unfinished jobs.');
          for (const j of jobs) console.log(`${j.id}\t${j.status}\truns ${j.runs}\taccount ${j.accountId}\t${j.kind}\t${new Date(j.createdAt).toISOString()}`);
        });
        return;
      }
      break;
    case 'keys':
      if (sub === 'create') {
        const { key, rec } = await withStore((e) => createKey(e.store, flag(rest, '--name')));
        console.log(`Created key ${rec.id} for account ${rec.accountId}. Keep it safe; it is not shown again:\n${key}`);
        return;
      }
      if (sub === 'ls') {
        const keys = await withStore((e) => e.store.keys.list());
        if (keys.length === 0) console.log('No keys. Create one with: likeness keys create');
        for (const k of keys) {
          console.log(
            `${k.id}\t${k.prefix}…\taccount ${k.accountId}\t${k.name ?? '-'}\t${new Date(k.createdAt).toISOString()}\t${k.revokedAt ? 'revoked' : 'active'}`,
          );
        }
        return;
      }
      if (sub === 'revoke' && rest[0]) {
        const ok = await withStore((e) => e.store.keys.revoke(rest[0]));
        console.log(ok ? `Revoked ${rest[0]}.` : `No active key matches ${rest[0]}.`);
        process.exitCode = ok ? 0 : 1;
        return;
      }
      break;
    case 'profiles':
      if (sub === 'ls') {
        await withStore(async (e) => {
          for (const p of await e.store.profiles.listByStatus(['VALIDATING', 'QUEUING', 'IN_PROGRESS', 'READY', 'ERROR', 'INACTIVE'])) {
            console.log(`${p.id}\t${p.status}\taccount ${p.accountId}\t${p.tag ?? '-'}\t${new Date(p.createdAt).toISOString()}\truns ${p.runs}`);
          }
        });
        return;
      }
      if (sub === 'disable' && rest[0]) {
        const ok = await withStore(async (e) => {
          const p = await e.store.profiles.getById(rest[0]);
          if (!p) return false;
          await e.store.profiles.update(p.id, { status: 'INACTIVE', message: 'Disabled by the operator.' });
          return true;
        });
        console.log(ok ? `Profile ${rest[0]} is now INACTIVE.` : `No profile ${rest[0]}.`);
        process.exitCode = ok ? 0 : 1;
        return;
      }
      break;
    case 'credits': {
      const enabled = creditsEnabledFromEnv(process.env);
      try {
        console.log(await withStore((e) => creditsCommand(e.store, [sub, ...rest].filter((a) => a !== undefined), { enabled })));
      } catch (e) {
        console.error((e as Error).message);
        process.exitCode = 2;
      }
      return;
    }
    case '--version':
    case 'version':
      console.log(VERSION);
      return;
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
  }
  console.error(USAGE);
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((e) => {
  if (e instanceof ConfigError) {
    console.error(`Configuration error: ${e.message}`);
    process.exit(2);
  }
  console.error(e);
  process.exit(1);
});
