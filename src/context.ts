// The wiring: the one place that decides which adapters run (embedded SQLite / in-process
// queue / data-dir blobs, or PostgreSQL / BullMQ on Redis / S3) and the AppContext the HTTP
// layer receives. Nothing below this module imports it; each module owns its own types.
import { mkdir, readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from './config.js';
import type { Store } from './store/types.js';
import type { BlobStore } from './blobs/types.js';
import type { Queue } from './queue/types.js';
import type { IdentityEngine } from './identity/types.js';
import type { ProfileService } from './profiles/service.js';
import type { StudioService } from './studio/service.js';
import type { JobService } from './jobs/service.js';
import type { EventService } from './jobs/events.js';
import type { ProviderRegistry } from './providers/registry.js';
import type { WorkerPool } from './identity/pool.js';
import type { UploadService } from './uploads/service.js';
import { createRateLimiter, type RateLimiter } from './http/rate-limit.js';
import { openSqliteStore } from './store/sqlite.js';
import { createEmbeddedQueue } from './queue/embedded.js';
import { createLocalBlobStore } from './blobs/local.js';

// The distributed adapters load only when configured: an embedded node never loads pg,
// BullMQ, ioredis or the AWS SDK.
const openPostgresStore = async (url: string) => (await import('./store/postgres.js')).openPostgresStore(url);
const loadBullQueue = async () => (await import('./queue/bullmq.js')).createBullQueue;

export interface AppContext {
  config: Config;
  store: Store;
  blobs: BlobStore;
  queue: Queue;
  rateLimiter: RateLimiter;
  /** HMAC key of signed file URLs (shared by every node: it lives in the database). */
  urlSecret: string;
  /** Face models and enhancement, in worker threads; started on first use. */
  identity(): Promise<IdentityEngine>;
  pool(): Promise<WorkerPool>;
  providers: ProviderRegistry;
  profiles: ProfileService;
  studio: StudioService;
  jobs: JobService;
  events: EventService;
  /** Local uploads (POST /v1/phota/uploads) and their resolution as image inputs. */
  uploads: UploadService;
  version: string;
}

export interface Adapters {
  store: Store;
  queue: Queue;
  blobs: BlobStore;
  rateLimiter: RateLimiter;
  /** e.g. "postgres + bullmq + s3" (logged at start). */
  describe: string;
  /** Stops the queue (waiting up to graceMs for running handlers), then closes connections. */
  close(graceMs: number): Promise<void>;
}

/** The metadata store alone (admin commands): Postgres when configured, else the data dir's SQLite. */
export async function openStore(config: Config): Promise<Store> {
  if (config.databaseUrl) return openPostgresStore(config.databaseUrl);
  await mkdir(config.dataDir, { recursive: true });
  return openSqliteStore(join(config.dataDir, 'likeness.db'));
}

/** The blob store alone (migrate-data): S3 when configured, else the data dir. */
export async function openBlobStore(config: Config): Promise<BlobStore & { client?: { destroy(): void } }> {
  const { createS3BlobStore } = config.s3 ? await import('./blobs/s3.js') : { createS3BlobStore: null };
  return config.s3 && createS3BlobStore
    ? createS3BlobStore({
        bucket: config.s3.bucket,
        endpoint: config.s3.endpoint,
        region: config.s3.region,
        forcePathStyle: config.s3.forcePathStyle,
        checksums: config.s3.checksums,
        keyPrefix: config.s3.keyPrefix,
        ...(config.s3.credentials ? { credentials: config.s3.credentials } : {}),
      })
    : createLocalBlobStore(join(config.dataDir, 'blobs'));
}

export async function openAdapters(config: Config, log: (msg: string, extra?: object) => void): Promise<Adapters> {
  await mkdir(config.dataDir, { recursive: true });
  const onError = (err: unknown) => log('queue error', { error: String((err as Error)?.message ?? err) });
  let store: Store;
  let queue: Queue;
  let queueName: string;
  if (config.databaseUrl) {
    const pgStore = await openPostgresStore(config.databaseUrl);
    store = pgStore;
    if (config.redisUrl) {
      queue = (await loadBullQueue())({ url: config.redisUrl, prefix: config.redisPrefix, leaseMs: config.queueLeaseMs, onError });
      queueName = 'bullmq';
    } else {
      // Postgres without Redis: the table-backed queue, shared by every process on the database.
      queue = createEmbeddedQueue(pgStore.db, { exclusive: false, leaseMs: config.queueLeaseMs, onError });
      queueName = 'table queue';
    }
  } else {
    const sqlite = await openSqliteStore(join(config.dataDir, 'likeness.db'));
    store = sqlite;
    if (config.redisUrl) {
      queue = (await loadBullQueue())({ url: config.redisUrl, prefix: config.redisPrefix, leaseMs: config.queueLeaseMs, onError });
      queueName = 'bullmq';
    } else {
      // One process owns the file: every task left running at start is an orphan.
      queue = createEmbeddedQueue(sqlite.db, { leaseMs: config.queueLeaseMs, onError });
      queueName = 'embedded queue';
    }
  }
  const blobs = await openBlobStore(config);
  // Pre-signed S3 URLs only when asked: otherwise Likeness signs and serves files itself.
  const servedBlobs: BlobStore = config.s3?.presign ? blobs : { ...blobs, presignedUrl: undefined };
  let rateLimiter = createRateLimiter(config.rateLimitPerMinute);
  let redis: { disconnect(): void } | null = null;
  if (config.redisUrl && config.rateLimitPerMinute > 0) {
    const { Redis } = await import('ioredis');
    const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
    client.on('error', (err) => log('redis error', { error: err.message }));
    rateLimiter = (await import('./queue/redis-rate-limit.js')).createRedisRateLimiter(client, config.rateLimitPerMinute, config.redisPrefix, {
      onError: (err) => log('rate limit not counted: redis unreachable, request let through', { error: String((err as Error)?.message ?? err) }),
    });
    redis = client;
  }
  return {
    store,
    queue,
    blobs: servedBlobs,
    rateLimiter,
    describe: `${config.databaseUrl ? 'postgres' : 'sqlite'} + ${queueName} + ${config.s3 ? 's3' : 'local blobs'}`,
    async close(graceMs) {
      await queue.stop(graceMs);
      redis?.disconnect();
      blobs.client?.destroy();
      await store.close();
    },
  };
}

/**
 * The URL-signing key every node must share: from config, else from the database (created by
 * the first node). An embedded installation's older key file is adopted so URLs it issued
 * keep working.
 */
export async function urlSigningSecret(config: Config, store: Store): Promise<string> {
  if (config.urlSigningSecret) return config.urlSigningSecret;
  let legacy: string | null = null;
  try {
    legacy = (await readFile(join(config.dataDir, 'url-signing.key'), 'utf8')).trim() || null;
  } catch {
    // none
  }
  return store.nodeSecrets.getOrCreate('url-signing', () => legacy ?? randomBytes(32).toString('hex'));
}
