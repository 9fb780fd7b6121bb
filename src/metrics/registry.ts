// Prometheus series of one process (prom-client), all prefixed `likeness_`. One registry per
// process, as Prometheus scrapes processes: every system built in this process (tests build
// several, one after another) reports into it. Recording functions are tiny and never throw,
// so the hooks in other modules are one line each.
import client from 'prom-client';
import { REASONS } from '../identity/screen.js';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'likeness_' });

const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const long = [0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800];

export const httpRequests = new client.Counter({
  name: 'likeness_http_requests_total',
  help: 'HTTP requests by method, route template and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});
export const httpDuration = new client.Histogram({
  name: 'likeness_http_request_duration_seconds',
  help: 'HTTP request latency by method, route template and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: seconds,
  registers: [registry],
});

/** Sources of queue depth, read at scrape time (the queue's own count, across processes). */
const depthSources = new Set<() => Promise<Record<string, number>>>();
export const queueDepth = new client.Gauge({
  name: 'likeness_queue_depth',
  help: 'Waiting plus running tasks per queue.',
  labelNames: ['queue'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const src of depthSources) {
      try {
        for (const [queue, n] of Object.entries(await src())) this.set({ queue }, n);
      } catch {
        // a closed store between scrapes: report nothing rather than fail the scrape
      }
    }
  },
});
export function addQueueDepthSource(fn: () => Promise<Record<string, number>>): () => void {
  depthSources.add(fn);
  return () => depthSources.delete(fn);
}
export const queueWait = new client.Histogram({
  name: 'likeness_queue_wait_seconds',
  help: 'Time a task waited from becoming runnable to starting, per queue.',
  labelNames: ['queue'] as const,
  buckets: long,
  registers: [registry],
});
export const queueTasks = new client.Counter({
  name: 'likeness_queue_tasks_total',
  help: 'Queue task runs per queue by outcome (ok, error: retried or exhausted).',
  labelNames: ['queue', 'outcome'] as const,
  registers: [registry],
});

export const trainingDuration = new client.Histogram({
  name: 'likeness_training_duration_seconds',
  help: 'Time from profile creation to READY or ERROR.',
  labelNames: ['outcome'] as const,
  buckets: long,
  registers: [registry],
});
export const trainingPhotos = new client.Counter({
  name: 'likeness_training_photos_total',
  help: 'Training photos screened, by outcome (accepted, refused) and first refusal reason.',
  labelNames: ['outcome', 'reason'] as const,
  registers: [registry],
});

export const studioOutputs = new client.Counter({
  name: 'likeness_studio_outputs_total',
  help: 'Images returned by studio requests, by base model (local = the local enhancer) and operation.',
  labelNames: ['base_model', 'operation'] as const,
  registers: [registry],
});
export const studioRequests = new client.Counter({
  name: 'likeness_studio_requests_total',
  help: 'Studio executions by base model, operation and outcome (ok or the error code).',
  labelNames: ['base_model', 'operation', 'outcome'] as const,
  registers: [registry],
});
export const providerDuration = new client.Histogram({
  name: 'likeness_provider_request_duration_seconds',
  help: 'Base-model provider call latency (retries included) by base model and outcome.',
  labelNames: ['base_model', 'outcome'] as const,
  buckets: long,
  registers: [registry],
});
export const providerErrors = new client.Counter({
  name: 'likeness_provider_errors_total',
  help: 'Failed base-model provider calls by base model and error code.',
  labelNames: ['base_model', 'code'] as const,
  registers: [registry],
});
export const identitySimilarity = new client.Histogram({
  name: 'likeness_identity_similarity',
  help: 'Cosine similarity between each recognised face in a returned output and its profile.',
  labelNames: ['operation'] as const,
  buckets: [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 1],
  registers: [registry],
});

export const workerBusy = new client.Counter({
  name: 'likeness_worker_busy_seconds_total',
  help: 'Time worker-pool threads spent running tasks, by task name.',
  labelNames: ['task'] as const,
  registers: [registry],
});
export const workerTasks = new client.Counter({
  name: 'likeness_worker_tasks_total',
  help: 'Worker-pool tasks finished, by task name and outcome (ok, error, died).',
  labelNames: ['task', 'outcome'] as const,
  registers: [registry],
});

export const callbackDeliveries = new client.Counter({
  name: 'likeness_callback_deliveries_total',
  help: 'Callback and webhook delivery attempts by outcome (delivered, retry, failed).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const uploads = new client.Counter({
  name: 'likeness_uploads_total',
  help: 'Local uploads stored.',
  registers: [registry],
});

const KNOWN_REASONS = new Set<string>(Object.values(REASONS));

/** Guards every recording: metrics must never break the work they observe. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // ignore
  }
}

/** Worker pool: one task ran on a thread for `ms`. */
export function recordWorkerTask(task: string, ms: number, outcome: 'ok' | 'error' | 'died'): void {
  safely(() => {
    const name = /^[\w.-]{1,48}$/.test(task) ? task : 'other';
    workerBusy.inc({ task: name }, ms / 1000);
    workerTasks.inc({ task: name, outcome });
  });
}

/** Delivery loop: the outcome of one callback/webhook attempt. */
export function recordDelivery(outcome: 'delivered' | 'retry' | 'failed'): void {
  safely(() => callbackDeliveries.inc({ outcome }));
}

/** Training pipeline: a profile reached READY or ERROR. */
export function recordTraining(
  createdAt: number,
  status: string | undefined,
  images: Array<{ accepted: boolean; reasons: string[] }> | null | undefined,
): void {
  if (status !== 'READY' && status !== 'ERROR') return;
  safely(() => {
    trainingDuration.observe({ outcome: status.toLowerCase() }, Math.max(0, (Date.now() - createdAt) / 1000));
    for (const img of images ?? []) {
      const first = img.reasons[0];
      const reason = img.accepted ? 'none' : first && KNOWN_REASONS.has(first) ? first : 'other';
      trainingPhotos.inc({ outcome: img.accepted ? 'accepted' : 'refused', reason });
    }
  });
}
