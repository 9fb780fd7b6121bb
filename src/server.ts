// Builds the whole system on the embedded defaults (SQLite, local blobs, in-process queue
// and workers) and serves it. `close()` is the graceful shutdown SIGTERM triggers.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ConfigError, type Config } from './config.js';
import type { AppContext } from './context.js';
import { openEmbedded, type Embedded } from './store/embedded.js';
import { createIdentityEngine, type IdentityRuntime } from './identity/engine.js';
import { createProviderRegistry, providerConfigFromEnv } from './providers/registry.js';
import { createProfileService } from './profiles/service.js';
import { registerTrainingPipeline } from './profiles/pipeline.js';
import { createStudioService } from './studio/service.js';
import { createJobService } from './jobs/service.js';
import { createDeliveryService } from './jobs/delivery.js';
import { createEventService } from './jobs/events.js';
import { buildApp } from './http/app.js';
import { VERSION } from './version.js';
import { stopHeicWorker } from './imaging/heic-pool.js';
import { createCreditService } from './credits/service.js';
import { creditsConfigFromEnv } from './credits/prices.js';
import { createUploadService } from './uploads/service.js';
import { instrumentProviders, instrumentQueue, instrumentStudio } from './metrics/instrument.js';
import { startMetricsServer } from './http/routes/metrics.js';

export interface RunningServer {
  app: FastifyInstance;
  ctx: AppContext;
  url: string;
  /** Where GET /metrics is served (the API port, or LIKENESS_METRICS_PORT). */
  metricsUrl: string;
  close(): Promise<void>;
}

/** The URL-signing key: from config, else generated once and kept in the data directory. */
async function urlSecret(config: Config): Promise<string> {
  if (config.urlSigningSecret) return config.urlSigningSecret;
  const file = join(config.dataDir, 'url-signing.key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const s = randomBytes(32).toString('hex');
    await writeFile(file, s + '\n', { mode: 0o600, flag: 'wx' }).catch(() => {});
    return (await readFile(file, 'utf8')).trim();
  }
}

export async function createSystem(config: Config, opts: { embedded?: Embedded; log?: (msg: string, extra?: object) => void } = {}) {
  await mkdir(config.dataDir, { recursive: true });
  const embedded = opts.embedded ?? (await openEmbedded(config.dataDir));
  const { store, blobs } = embedded;
  const queue = instrumentQueue(embedded.queue); // metrics: wait time, outcomes, depth
  const log = opts.log ?? ((msg: string, extra?: object) => console.error(JSON.stringify({ msg, ...extra })));

  // Models load on first use: starting the server stays fast and tests that need no face
  // model never pay for it. A failed start is retried by the next caller.
  let engine: Promise<IdentityRuntime> | null = null;
  const identity = () => {
    engine ??= createIdentityEngine({ workers: config.workers, taskTimeoutMs: config.workerTaskTimeoutMs }).catch((e) => {
      engine = null;
      throw e;
    });
    return engine;
  };

  const delivery = createDeliveryService({
    store,
    allowHttp: config.allowHttpCallbacks,
    allowPrivate: config.allowPrivateUrls,
    ...(config.callbackRetryDelaysMs ? { schedule: config.callbackRetryDelaysMs, pollMs: 200 } : {}),
    log,
  });
  const events = createEventService(store, delivery);
  let providers;
  let creditsConfig;
  try {
    providers = instrumentProviders(createProviderRegistry(providerConfigFromEnv(config.env)));
    creditsConfig = creditsConfigFromEnv(config.env);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const credits = createCreditService({ store, ...creditsConfig });
  const profiles = createProfileService({ store, blobs, queue, credits, maxQueueDepth: config.maxQueueDepth });
  const studio = instrumentStudio(createStudioService({ config, blobs, profiles, providers, identity, pool: async () => (await identity()).pool }));
  const secret = await urlSecret(config);
  const uploads = createUploadService({ store, blobs, urlSecret: secret, ttlMs: config.uploadTtlMs });
  const jobs = createJobService({ config, store, blobs, queue, studio, events, credits, urlSecret: secret, log });

  const ctx: AppContext = {
    config,
    store,
    blobs,
    queue,
    urlSecret: secret,
    identity,
    pool: async () => (await identity()).pool,
    providers,
    profiles,
    studio,
    jobs,
    events,
    uploads,
    version: VERSION,
  };

  registerTrainingPipeline(
    { store, blobs, queue, identity, events, credits, uploads, allowPrivateUrls: config.allowPrivateUrls, log },
    { concurrency: config.trainingConcurrency },
  );
  jobs.registerWorker();

  // Retention: jobs and output files older than their time are removed.
  const sweep = async () => {
    try {
      const now = Date.now();
      await store.jobs.deleteExpired(now);
      for (const key of await store.files.deleteExpired(now)) await blobs.delete(`outputs/${key}`);
      await uploads.sweep(now);
    } catch (e) {
      log('retention sweep failed', { error: String(e) });
    }
  };

  return {
    ctx,
    start() {
      queue.start();
      delivery.start();
      void sweep();
      const timer = setInterval(sweep, 3600_000);
      timer.unref();
      return timer;
    },
    async stop(graceMs: number) {
      queue.stopMetrics();
      await delivery.stop();
      await embedded.close(graceMs);
      if (engine) await (await engine.catch(() => null))?.close();
      await stopHeicWorker();
    },
  };
}

export async function startServer(config: Config, opts: { log?: (msg: string, extra?: object) => void } = {}): Promise<RunningServer> {
  const system = await createSystem(config, opts);
  const app = await buildApp(system.ctx);
  const timer = system.start();
  await app.listen({ port: config.port, host: config.host });
  const metrics = config.metricsPort !== null ? await startMetricsServer(config.host, config.metricsPort, config.metricsToken) : null;
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let closing: Promise<void> | null = null;
  return {
    app,
    ctx: system.ctx,
    url: `http://${host}:${port}`,
    metricsUrl: metrics ? `http://${host}:${metrics.port}/metrics` : `http://${host}:${port}/metrics`,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await app.close(); // stop accepting; in-flight requests finish
        await metrics?.close();
        await system.stop(10_000);
      })();
      return closing;
    },
  };
}
