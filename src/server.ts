// Builds the system on the adapters context.ts chose and runs this process's roles: `api`
// (the HTTP server) and/or `worker` (training, studio jobs, webhook deliveries, sweeps).
// `close()` is the graceful shutdown SIGTERM triggers: stop taking requests and work, finish
// or hand back what is running.
import type { FastifyInstance } from 'fastify';
import { ConfigError, type Config } from './config.js';
import { openAdapters, urlSigningSecret, type AppContext } from './context.js';
import { createIdentityEngine, type IdentityRuntime } from './identity/engine.js';
import { createProviderRegistry, providerConfigFromEnv } from './providers/registry.js';
import { createProfileService } from './profiles/service.js';
import { registerTrainingPipeline, sweepStrandedProfiles } from './profiles/pipeline.js';
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
  /** null when this process runs no `api` role. */
  app: FastifyInstance | null;
  ctx: AppContext;
  /** Base URL of the HTTP server ('' without the api role). */
  url: string;
  /** Where GET /metrics is served (the API port, or LIKENESS_METRICS_PORT). */
  metricsUrl: string;
  close(): Promise<void>;
}

export type Log = (msg: string, extra?: object) => void;

export async function createSystem(config: Config, opts: { log?: Log } = {}) {
  const log = opts.log ?? ((msg: string, extra?: object) => console.error(JSON.stringify({ msg, ...extra })));
  let providers;
  let creditsConfig;
  try {
    providers = instrumentProviders(createProviderRegistry(providerConfigFromEnv(config.env)));
    creditsConfig = creditsConfigFromEnv(config.env);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const adapters = await openAdapters(config, log);
  const { store, blobs } = adapters;
  const queue = instrumentQueue(adapters.queue); // metrics: wait time, outcomes, depth

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
  const credits = createCreditService({ store, ...creditsConfig });
  const profiles = createProfileService({ store, blobs, queue, credits, maxQueueDepth: config.maxQueueDepth });
  const studio = instrumentStudio(createStudioService({ config, blobs, profiles, providers, identity, pool: async () => (await identity()).pool }));
  const secret = await urlSigningSecret(config, store);
  const uploads = createUploadService({ store, blobs, urlSecret: secret, ttlMs: config.uploadTtlMs });
  const jobs = createJobService({ config, store, blobs, queue, studio, events, credits, urlSecret: secret, log });

  const ctx: AppContext = {
    config,
    store,
    blobs,
    queue,
    rateLimiter: adapters.rateLimiter,
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

  const worker = config.roles.has('worker');
  if (worker) {
    registerTrainingPipeline(
      { store, blobs, queue, identity, events, credits, uploads, allowPrivateUrls: config.allowPrivateUrls, log },
      { concurrency: config.trainingConcurrency },
    );
    jobs.registerWorker();
  }

  // Retention: jobs and output files older than their time are removed.
  const retention = async () => {
    try {
      const now = Date.now();
      await store.jobs.deleteExpired(now);
      for (const key of await store.files.deleteExpired(now)) await blobs.delete(`outputs/${key}`);
      await uploads.sweep(now);
    } catch (e) {
      log('retention sweep failed', { error: String(e) });
    }
  };
  // Work the database has but the queue lost (an enqueue that never happened because its
  // process died right after the commit): queued again under the same id, a no-op if present.
  const stranded = async () => {
    try {
      const before = Date.now() - 2 * config.queueLeaseMs;
      await jobs.sweepStranded(before);
      await sweepStrandedProfiles({ store, queue }, before);
    } catch (e) {
      log('stranded-work sweep failed', { error: String(e) });
    }
  };

  const timers: NodeJS.Timeout[] = [];
  return {
    ctx,
    describe: adapters.describe,
    start() {
      if (!worker) return;
      queue.start();
      delivery.start();
      void retention();
      timers.push(setInterval(retention, 3600_000), setInterval(stranded, config.sweepIntervalMs));
      for (const t of timers) t.unref();
    },
    async stop(graceMs: number) {
      for (const t of timers) clearInterval(t);
      queue.stopMetrics();
      await delivery.stop();
      await adapters.close(graceMs);
      if (engine) await (await engine.catch(() => null))?.close();
      await stopHeicWorker();
    },
  };
}

export async function startServer(config: Config, opts: { log?: Log } = {}): Promise<RunningServer> {
  const system = await createSystem(config, opts);
  let app: FastifyInstance | null = null;
  let url = '';
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  if (config.roles.has('api')) {
    app = await buildApp(system.ctx);
    await app.listen({ port: config.port, host: config.host });
    const addr = app.server.address();
    url = `http://${host}:${typeof addr === 'object' && addr ? addr.port : config.port}`;
  }
  // A worker node has no API port: its metrics need their own (LIKENESS_METRICS_PORT).
  const metrics = config.metricsPort !== null ? await startMetricsServer(config.host, config.metricsPort, config.metricsToken) : null;
  system.start();
  let closing: Promise<void> | null = null;
  return {
    app,
    ctx: system.ctx,
    url,
    metricsUrl: metrics ? `http://${host}:${metrics.port}/metrics` : `${url}/metrics`,
    close() {
      closing ??= (async () => {
        await app?.close(); // stop accepting; in-flight requests finish
        await metrics?.close();
        await system.stop(10_000);
      })();
      return closing;
    },
  };
}
