#!/usr/bin/env node
// The `likeness` command: `serve` (API + in-process workers on the embedded defaults) and
// admin commands for keys and profiles, which work on the same data directory.
import { loadConfig, ConfigError, type Config } from './config.js';
import { startServer } from './server.js';
import { openStore } from './context.js';
import type { Store } from './store/types.js';
import { newKey } from './store/ids.js';
import { VERSION } from './version.js';
import { mkdir } from 'node:fs/promises';
import { creditsCommand, CREDITS_USAGE } from './credits/cli.js';
import { creditsEnabledFromEnv } from './credits/prices.js';
import { ClientError, clientFromEnv, type Client } from './client/http.js';
import { enhance, generate, profilesCreate, profilesStatus, type Io } from './client/commands.js';

const USAGE = `likeness ${VERSION}: a self-hosted Phota-compatible API

Usage:

As a user of a Likeness server (over HTTP: LIKENESS_URL, default http://localhost:8080, and
LIKENESS_API_KEY). Photos are local files (uploaded for you) or http(s) URLs:
  likeness profiles create <photos...> [--tag T] [--tier standard|fast] [--wait]
                                     train a profile; --wait shows progress and the per-photo
                                     report (tier: fast below 10 photos, else standard)
  likeness profiles status <id>      status and per-photo report of one of your profiles
  likeness enhance <in> -o <out> [--profile ID]... [--prompt P] [--format jpg|png]
  likeness generate "<prompt>" [-o DIR] [-n 1-4] [--model M] [--aspect R] [--resolution R]
                                     name people as [[profile-id]] in the prompt

As the operator (works on the configured database directly, no server needed: the data
dir's SQLite, or LIKENESS_DATABASE_URL):
  likeness serve                     start the roles in LIKENESS_ROLES (default api,worker)
  likeness worker                    run queued work only (training, studio jobs, webhooks); no HTTP
  likeness migrate-data --from DIR   copy an embedded data dir (SQLite + blobs) to the
                                     configured Postgres / S3
  likeness jobs ls                   unfinished jobs with their run counts
  likeness keys create [--name N] [--admin]
                                     create an account and API key (printed once); an admin
                                     key may also list, create and revoke keys through the API
                                     (/v1/likeness/keys) and in the console's Keys page
  likeness keys ls                   list keys (never the keys themselves)
  likeness keys revoke <key-id|key>  revoke a key
  likeness profiles ls               list the profiles of every account
  likeness profiles disable <id>     mark a profile INACTIVE (it can no longer be used)
${CREDITS_USAGE.split('\n').slice(1).map((l) => '  ' + l.trim()).join('\n')}
The console is at <server>/console. Settings come from environment variables; see README.md.`;

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

async function createKey(store: Store, name: string | null, admin = false) {
  const account = await store.accounts.create(name);
  const key = newKey();
  const rec = await store.keys.create(account.id, key, name, { admin });
  return { key, rec, account };
}

/** Runs a client command against LIKENESS_URL; a ClientError is one line on stderr and exit code 1. */
async function client(fn: (c: Client, io: Io) => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn(clientFromEnv(process.env), { out: process.stdout, err: process.stderr });
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    console.error(`likeness: ${e.message}`);
    process.exitCode = 1;
  }
}

async function serve(config: Config) {
  await mkdir(config.dataDir, { recursive: true });
  // On first start with no keys, create one so a newcomer can call the API at once.
  // It is the operator's key, so an admin key: the console's Keys page works out of the box.
  const first = config.roles.has('api')
    ? await withStore(async ({ store }) => ((await store.keys.count()) === 0 ? createKey(store, 'default', true) : null))
    : null;
  const server = await startServer(config);
  if (first) {
    console.log(`\nNo API keys existed, so an admin key was created (it is shown only this once):\n\n  X-API-Key: ${first.key}\n`);
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
        const admin = rest.includes('--admin');
        const { key, rec } = await withStore((e) => createKey(e.store, flag(rest, '--name'), admin));
        console.log(`Created ${admin ? 'admin ' : ''}key ${rec.id} for account ${rec.accountId}. Keep it safe; it is not shown again:\n${key}`);
        return;
      }
      if (sub === 'ls') {
        const keys = await withStore((e) => e.store.keys.list());
        if (keys.length === 0) console.log('No keys. Create one with: likeness keys create');
        for (const k of keys) {
          console.log(
            `${k.id}\t${k.prefix}…\taccount ${k.accountId}\t${k.name ?? '-'}\t${new Date(k.createdAt).toISOString()}\t${k.revokedAt ? 'revoked' : 'active'}${k.admin ? '\tadmin' : ''}`,
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
      if (sub === 'create') return client((c, io) => profilesCreate(c, rest, io));
      if (sub === 'status') return client((c, io) => profilesStatus(c, rest, io));
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
    case 'enhance':
      return client((c, io) => enhance(c, [sub, ...rest].filter((a) => a !== undefined), io));
    case 'generate':
      return client((c, io) => generate(c, [sub, ...rest].filter((a) => a !== undefined), io));
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
