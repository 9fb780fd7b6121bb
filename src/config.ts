// Every setting, read from environment variables and validated once at start. A bad value
// stops the server with a message naming the variable, instead of failing later at request time.
import os from 'node:os';
import path from 'node:path';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Public base URL used in poll_url and download URLs; default http://<host>:<port>. */
  publicUrl: string | null;
  /** HMAC secret for signed file URLs; generated and kept in the data dir when unset. */
  urlSigningSecret: string | null;
  allowPrivateUrls: boolean;
  allowHttpCallbacks: boolean;
  /** Identity/enhance worker threads. */
  workers: number;
  /** A worker task running longer is abandoned and its worker replaced (a wedged model never blocks the pool). */
  workerTaskTimeoutMs: number;
  /** Concurrent studio jobs and training jobs per process. */
  studioConcurrency: number;
  trainingConcurrency: number;
  /** Waiting + running tasks per queue before 503 OVERLOADED. */
  maxQueueDepth: number;
  /** Synchronous studio time limit (contract: 600 s) and async budget. */
  syncTimeoutMs: number;
  asyncTimeoutMs: number;
  /** Request body limit in bytes (ten 4K images as base64 fit). */
  bodyLimit: number;
  jobRetentionMs: number;
  fileTtlMs: number;
  idempotencyWindowMs: number;
  /** Per-key requests per minute; 0 = off. */
  rateLimitPerMinute: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Base model used by /enhance when set (generative enhance); default local. */
  enhanceBaseModel: string | null;
  /** Base-model attempts per output before the best miss is returned (1 = no retry). */
  identityAttempts: number;
  /** Whether a look-alike miss is first repaired with one edit call where the model can edit. */
  identityRepair: boolean;
  /** Delay before each callback/webhook attempt in ms; null = the built-in schedule (6 attempts over ~1 h). */
  callbackRetryDelaysMs: number[] | null;
  /** What this process does: `api` (HTTP), `worker` (queues: training, studio jobs, deliveries). */
  roles: ReadonlySet<Role>;
  /** postgres://… : the metadata store on PostgreSQL; null = SQLite in the data dir. */
  databaseUrl: string | null;
  /** redis://… : queues on BullMQ and rate limits counted in Redis; null = in-process. */
  redisUrl: string | null;
  /** Prefix of every Redis key this installation uses. */
  redisPrefix: string;
  /** Blobs on S3 (or compatible) when a bucket is set; null = the data dir. */
  s3: S3Config | null;
  /** Queue lease: a task whose worker stopped renewing it is run elsewhere after this long. */
  queueLeaseMs: number;
  /** How often a worker re-queues work the database has but the queue lost (e.g. enqueue after a crash). */
  sweepIntervalMs: number;
  /** How long a local upload (POST /uploads) is kept and its URL valid. */
  uploadTtlMs: number;
  /** GET /metrics requires `Authorization: Bearer <token>` when set. */
  metricsToken: string | null;
  /** Serve /metrics on this port (same HOST) instead of the API port; null = on the API port. */
  metricsPort: number | null;
  env: NodeJS.ProcessEnv;
}

export type Role = 'api' | 'worker';

export interface S3Config {
  bucket: string;
  endpoint: string | null;
  region: string;
  forcePathStyle: boolean;
  checksums: 'when_supported' | 'when_required';
  keyPrefix: string;
  /** download_urls point at S3 (pre-signed) rather than at Likeness's own signed file route. */
  presign: boolean;
  /** From AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN); null = the SDK's provider chain. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
}

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return v;
}

function bool(env: NodeJS.ProcessEnv, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be 1/0 (or true/false), got "${raw}"`);
}

function delays(env: NodeJS.ProcessEnv, name: string): number[] | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  const parts = raw.split(',').map((p) => Number(p.trim()));
  if (parts.length < 1 || parts.length > 20 || parts.some((p) => !Number.isFinite(p) || p < 0 || p > 86400)) {
    throw new ConfigError(`${name} must be 1–20 comma-separated delays in seconds (0–86400), got "${raw}"`);
  }
  return parts.map((p) => Math.round(p * 1000));
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Documented settings, in README order: [name, default, meaning]. */
export const SETTINGS: Array<[string, string, string]> = [
  ['PORT', '8080', 'HTTP port'],
  ['HOST', '0.0.0.0', 'Address to listen on'],
  ['LIKENESS_DATA_DIR', './data', 'SQLite database, blobs and secrets'],
  ['LIKENESS_PUBLIC_URL', "the request's host", 'Base URL put in poll_url and download_urls'],
  ['LIKENESS_URL_SIGNING_SECRET', 'generated into the data dir', 'HMAC key of signed file URLs'],
  ['LIKENESS_ALLOW_PRIVATE_URLS', '0', 'Allow image URLs on private/loopback addresses (local setups, tests)'],
  ['LIKENESS_ALLOW_HTTP_CALLBACKS', '0', 'Allow plain-http callback and webhook URLs'],
  ['LIKENESS_WORKERS', 'number of cores', 'Worker threads running face models and enhancement'],
  ['LIKENESS_WORKER_TASK_TIMEOUT_S', '300', 'A model task running longer is abandoned and its worker restarted'],
  ['LIKENESS_STUDIO_CONCURRENCY', '4', 'Studio requests processed at once'],
  ['LIKENESS_TRAINING_CONCURRENCY', '1', 'Profiles trained at once'],
  ['LIKENESS_MAX_QUEUE_DEPTH', '100', 'Queued tasks per queue before 503 OVERLOADED'],
  ['LIKENESS_SYNC_TIMEOUT_S', '600', 'Time limit of a synchronous studio request (then 504)'],
  ['LIKENESS_ASYNC_TIMEOUT_S', '1800', 'Time limit of an async job'],
  ['LIKENESS_BODY_LIMIT_MB', '300', 'Largest request body'],
  ['LIKENESS_JOB_RETENTION_DAYS', '7', 'How long jobs and their outputs are kept'],
  ['LIKENESS_RATE_LIMIT_PER_MINUTE', '0', 'Requests per key per minute (0 = off); over it: 429'],
  ['LIKENESS_ENHANCE_BASE_MODEL', '(local)', 'Run /enhance through this base model instead of locally'],
  ['LIKENESS_CALLBACK_RETRY_DELAYS_S', '0,30,120,480,1200,1800', 'Delay before each callback attempt, seconds (its length = attempts)'],
  ['LIKENESS_CREDITS', '0', 'Prepaid credits: requests that would charge need a balance (402 otherwise)'],
  ['LIKENESS_PRICES', 'contract prices', 'JSON of prices in dollars, e.g. {"enhance": 0.12, "profile.standard": 2.9}'],
  ['LIKENESS_UPLOAD_TTL_S', '86400', 'How long a local upload (POST /v1/phota/uploads) is kept and its URL valid'],
  ['LIKENESS_METRICS_TOKEN', '(none)', 'GET /metrics then requires Authorization: Bearer <token>'],
  ['LIKENESS_METRICS_PORT', '(API port)', 'Serve /metrics on this port instead of the API port'],
  ['LIKENESS_LOG_LEVEL', 'info', 'fatal, error, warn, info, debug, trace or silent'],
  ['LIKENESS_ROLES', 'api,worker', 'What `serve` runs: api (HTTP), worker (training, studio jobs, webhooks), or both'],
  ['LIKENESS_DATABASE_URL', '(SQLite in the data dir)', 'postgres://user:pass@host:5432/db: metadata on PostgreSQL'],
  ['LIKENESS_REDIS_URL', '(in-process queue)', 'redis://host:6379: queues on BullMQ, rate limits shared by every node'],
  ['LIKENESS_REDIS_PREFIX', 'likeness', 'Prefix of every Redis key'],
  ['LIKENESS_S3_BUCKET', '(blobs in the data dir)', 'Photos, references and outputs in this S3 bucket'],
  ['LIKENESS_S3_ENDPOINT', '(AWS)', 'S3-compatible endpoint (MinIO, R2, ...)'],
  ['LIKENESS_S3_REGION', 'us-east-1', 'S3 region (AWS_REGION also works)'],
  ['LIKENESS_S3_FORCE_PATH_STYLE', '0', 'Bucket in the URL path (most S3-compatible servers)'],
  ['LIKENESS_S3_CHECKSUMS', 'when_supported', 'when_required: send checksums only where S3 demands them (servers that reject the SDK default)'],
  ['LIKENESS_S3_PREFIX', '(none)', 'Key prefix inside the bucket, e.g. likeness/'],
  ['LIKENESS_S3_PRESIGN', '1', 'download_urls are S3 pre-signed URLs (0: Likeness-signed URLs served by any API node)'],
  ['LIKENESS_QUEUE_LEASE_S', '30', 'A task whose worker stops renewing its lease runs elsewhere after this long'],
  ['LIKENESS_SWEEP_INTERVAL_S', '60', 'How often workers re-queue work the database has but the queue lost'],
];

function roles(env: NodeJS.ProcessEnv): ReadonlySet<Role> {
  const raw = env.LIKENESS_ROLES;
  if (raw === undefined || raw.trim() === '') return new Set<Role>(['api', 'worker']);
  const parts = raw.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p !== 'api' && p !== 'worker')) {
    throw new ConfigError(`LIKENESS_ROLES must be api, worker or api,worker, got "${raw}"`);
  }
  return new Set(parts as Role[]);
}

function urlSetting(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  try {
    if (protocols.includes(new URL(raw).protocol)) return raw;
  } catch {
    // reported below
  }
  throw new ConfigError(`${name} must be a ${protocols.map((p) => p + '//').join(' or ')} URL, got "${raw.replace(/\/\/[^@/]*@/, '//…@')}"`);
}

function s3Config(env: NodeJS.ProcessEnv): S3Config | null {
  const bucket = env.LIKENESS_S3_BUCKET;
  if (!bucket) return null;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError(`LIKENESS_S3_BUCKET is not a valid bucket name: "${bucket}"`);
  const checksums = (env.LIKENESS_S3_CHECKSUMS || 'when_supported').toLowerCase();
  if (checksums !== 'when_supported' && checksums !== 'when_required') {
    throw new ConfigError(`LIKENESS_S3_CHECKSUMS must be when_supported or when_required, got "${checksums}"`);
  }
  const keyPrefix = env.LIKENESS_S3_PREFIX || '';
  if (keyPrefix && !/^[A-Za-z0-9_-][A-Za-z0-9._/-]*\/$/.test(keyPrefix)) throw new ConfigError(`LIKENESS_S3_PREFIX must end with "/", got "${keyPrefix}"`);
  return {
    bucket,
    endpoint: urlSetting(env, 'LIKENESS_S3_ENDPOINT', ['http:', 'https:']),
    region: env.LIKENESS_S3_REGION || env.AWS_REGION || 'us-east-1',
    forcePathStyle: bool(env, 'LIKENESS_S3_FORCE_PATH_STYLE', false),
    checksums,
    keyPrefix,
    presign: bool(env, 'LIKENESS_S3_PRESIGN', true),
    credentials:
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
        : null,
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (env.LIKENESS_LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LIKENESS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const publicUrl = env.LIKENESS_PUBLIC_URL || null;
  if (publicUrl !== null) {
    try {
      const u = new URL(publicUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      throw new ConfigError(`LIKENESS_PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
    }
  }
  const day = 24 * 3600 * 1000;
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir: path.resolve(env.LIKENESS_DATA_DIR || './data'),
    publicUrl: publicUrl ? publicUrl.replace(/\/+$/, '') : null,
    urlSigningSecret: env.LIKENESS_URL_SIGNING_SECRET || null,
    allowPrivateUrls: bool(env, 'LIKENESS_ALLOW_PRIVATE_URLS', false),
    allowHttpCallbacks: bool(env, 'LIKENESS_ALLOW_HTTP_CALLBACKS', false),
    workers: int(env, 'LIKENESS_WORKERS', Math.max(1, os.availableParallelism()), 1, 64),
    workerTaskTimeoutMs: int(env, 'LIKENESS_WORKER_TASK_TIMEOUT_S', 300, 10, 86400) * 1000,
    studioConcurrency: int(env, 'LIKENESS_STUDIO_CONCURRENCY', 4, 1, 256),
    trainingConcurrency: int(env, 'LIKENESS_TRAINING_CONCURRENCY', 1, 1, 64),
    maxQueueDepth: int(env, 'LIKENESS_MAX_QUEUE_DEPTH', 100, 1, 1_000_000),
    syncTimeoutMs: int(env, 'LIKENESS_SYNC_TIMEOUT_S', 600, 1, 86400) * 1000,
    asyncTimeoutMs: int(env, 'LIKENESS_ASYNC_TIMEOUT_S', 1800, 1, 86400) * 1000,
    bodyLimit: int(env, 'LIKENESS_BODY_LIMIT_MB', 300, 1, 4096) * 1024 * 1024,
    jobRetentionMs: int(env, 'LIKENESS_JOB_RETENTION_DAYS', 7, 1, 3650) * day,
    fileTtlMs: day,
    idempotencyWindowMs: day,
    rateLimitPerMinute: int(env, 'LIKENESS_RATE_LIMIT_PER_MINUTE', 0, 0, 1_000_000),
    logLevel,
    enhanceBaseModel: env.LIKENESS_ENHANCE_BASE_MODEL || null,
    identityAttempts: int(env, 'LIKENESS_IDENTITY_ATTEMPTS', 3, 1, 8),
    identityRepair: bool(env, 'LIKENESS_IDENTITY_REPAIR', true),
    callbackRetryDelaysMs: delays(env, 'LIKENESS_CALLBACK_RETRY_DELAYS_S'),
    roles: roles(env),
    databaseUrl: urlSetting(env, 'LIKENESS_DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: urlSetting(env, 'LIKENESS_REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: env.LIKENESS_REDIS_PREFIX || 'likeness',
    s3: s3Config(env),
    queueLeaseMs: int(env, 'LIKENESS_QUEUE_LEASE_S', 30, 2, 3600) * 1000,
    sweepIntervalMs: int(env, 'LIKENESS_SWEEP_INTERVAL_S', 60, 1, 86400) * 1000,
    uploadTtlMs: int(env, 'LIKENESS_UPLOAD_TTL_S', 86400, 1, 30 * 86400) * 1000,
    metricsToken: env.LIKENESS_METRICS_TOKEN || null,
    metricsPort: env.LIKENESS_METRICS_PORT ? int(env, 'LIKENESS_METRICS_PORT', 0, 0, 65535) : null,
    env,
  };
}
