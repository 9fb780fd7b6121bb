// Starts the real server on 127.0.0.1 (random port, temp data dir) for integration tests,
// and serves fixture photos from a second loopback server so URL inputs work offline.
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { newKey } from '../../src/store/ids.js';
import { DISTRIBUTED, REDIS_URL, createRedisPrefix, createTestDatabase } from '../support/backends.js';
import { startTestS3 } from '../support/s3.js';

/**
 * The settings of a node on the distributed adapters: a fresh Postgres database, a Redis key
 * prefix and an S3 bucket (s3rver), all removed by cleanup(). Likeness-signed download URLs by
 * default (the file route is what the API tests exercise); pre-signed S3 URLs have their own test.
 */
export async function distributedEnv(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> {
  const database = await createTestDatabase();
  const redis = createRedisPrefix();
  const s3 = await startTestS3();
  return {
    env: {
      LIKENESS_DATABASE_URL: database.url,
      LIKENESS_REDIS_URL: REDIS_URL,
      LIKENESS_REDIS_PREFIX: redis.prefix,
      LIKENESS_S3_PRESIGN: '0',
      // Restart tests wait for a lease to pass before another process takes the task.
      LIKENESS_QUEUE_LEASE_S: '5',
      ...s3.env,
    },
    async cleanup() {
      await s3.close();
      await redis.cleanup();
      await database.drop();
    },
  };
}

/** test/fixtures/photos, from dist/test/http/ at run time. */
export const FIXTURES = new URL('../../../test/fixtures/photos/', import.meta.url).pathname;

export async function fixture(name: string): Promise<Buffer> {
  return readFile(join(FIXTURES, name));
}

export interface TestServer {
  url: string;
  server: RunningServer;
  key: string;
  accountId: string;
  dataDir: string;
  /** Creates another account with its own key. */
  newAccount(): Promise<{ key: string; accountId: string }>;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  json<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; res: Response }>;
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'likeness-test-'));
  const dist = DISTRIBUTED ? await distributedEnv() : null;
  const config = loadConfig({
    ...dist?.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LIKENESS_DATA_DIR: dataDir,
    LIKENESS_LOG_LEVEL: 'silent',
    LIKENESS_ALLOW_PRIVATE_URLS: '1',
    LIKENESS_ALLOW_HTTP_CALLBACKS: '1',
    LIKENESS_WORKERS: '1',
    ...env,
  });
  const server = await startServer(config, { log: () => {} });
  const store = server.ctx.store;
  const newAccount = async () => {
    const account = await store.accounts.create('test');
    const key = newKey();
    await store.keys.create(account.id, key, 'test');
    return { key, accountId: account.id };
  };
  const first = await newAccount();
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(server.url + path, {
      method,
      headers: {
        'X-API-Key': first.key,
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
  return {
    url: server.url,
    server,
    key: first.key,
    accountId: first.accountId,
    dataDir,
    newAccount,
    call,
    async json(method, path, body, headers) {
      const res = await call(method, path, body, headers);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, res };
    },
    async close() {
      await server.close();
      await dist?.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A loopback HTTP server that serves files from test/fixtures/photos (and counts hits). */
export async function startPhotoServer(): Promise<{ url: (name: string) => string; hits: Map<string, number>; close(): Promise<void> }> {
  const hits = new Map<string, number>();
  const srv = http.createServer(async (req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0]);
    hits.set(name, (hits.get(name) ?? 0) + 1);
    try {
      if (name.includes('/') || name.includes('..')) throw new Error('bad name');
      const data = await readFile(join(FIXTURES, name));
      res.writeHead(200, { 'Content-Type': name.endsWith('.png') ? 'image/png' : 'image/jpeg' });
      res.end(data);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}`,
    hits,
    close: () => new Promise((r) => srv.close(() => r())),
  };
}

/** Polls until `done` returns a value, bounded in time. */
export async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`poll: gave up after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
