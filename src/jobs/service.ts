// Studio requests, sync and async. Sync requests run in the request with a concurrency limit
// and the contract's time limit (504); async ones become durable jobs in the queue, polled at
// GET /jobs/{id} and announced to callback_url. Outputs in urls mode are stored as files
// whose URLs are signed when shown, so a job polled on day 6 still gets working 24 h URLs.
import { randomBytes } from 'node:crypto';
import { ApiError } from '../errors.js';
import type { Config } from '../config.js';
import type { JobRecord, Store } from '../store/types.js';
import type { BlobStore } from '../blobs/types.js';
import { TaskInterrupted, type Queue, type QueueTask } from '../queue/types.js';
import type { StudioKind, StudioOutcome, StudioService, PreparedRequest, KnownSubjects, IdentityEntry } from '../studio/service.js';
import { newJobId } from '../store/ids.js';
import { requestFingerprint, resolveIdempotentSubmit, IDEMPOTENCY_WINDOW_MS } from './idempotency.js';
import { signFileUrl } from '../blobs/signed-url.js';
import { contentTypeFor, extensionFor } from '../imaging/output.js';
import type { EventService } from './events.js';
import { Semaphore } from './semaphore.js';
import type { CreditService, Reservation } from '../credits/service.js';
import { identityOutputs } from '../credits/prices.js';

export const STUDIO_QUEUE = 'studio';

/** What a finished job keeps: file keys, never signed URLs (they are signed when shown). */
interface StoredResult {
  files: string[];
  known_subjects: KnownSubjects;
  /** Absent in results stored before the identity loop existed. */
  identity?: IdentityEntry[];
}

/**
 * What a job row keeps. The request body (up to ten base64 images) lives in the blob store
 * under `bodyKey` while the job waits or runs, not in the database, and is removed when the
 * job ends (the fingerprint for idempotency is kept in the row).
 */
interface JobEnvelope {
  kind: StudioKind;
  bodyKey: string;
  candidateIds: string[];
  baseModel: string | null;
  baseUrl: string;
  /** Credit held for this job (null when credits are off). */
  reservation?: Reservation | null;
}

export interface StudioResponseBody {
  images: string[];
  download_urls: string[];
  known_subjects: KnownSubjects;
  identity?: IdentityEntry[];
}

export interface JobView {
  job_id: string;
  status: JobRecord['status'];
  created_at: string;
  updated_at: string;
  result: StudioResponseBody | null;
  error: { detail: string; code: string } | null;
}

export interface JobService {
  /** The response body, and the base-model calls it took (the X-Likeness-Base-Model-Calls header). */
  runSync(accountId: string, prepared: PreparedRequest, baseUrl: string): Promise<{ body: StudioResponseBody; baseModelCalls: number }>;
  submit(accountId: string, prepared: PreparedRequest, baseUrl: string): Promise<{ job_id: string; status: string; poll_url: string }>;
  get(accountId: string, id: string, baseUrl: string): Promise<JobView>;
  /** Registers the queue handler (embedded: in this process; distributed: in `likeness worker`). */
  registerWorker(): void;
  /** Queues again (same task id: a no-op when the queue has it) unfinished jobs untouched since `before`. */
  sweepStranded(before: number): Promise<number>;
}

/** One callback per job, whichever run or node sends it. */
const callbackDeliveryId = (jobId: string) => `dlv_job_${jobId}`;

/** The error a job shows when the queue gave up on it. */
export function exhaustedJobError(error: unknown, runs: number): { detail: string; code: string } {
  if (error instanceof TaskInterrupted) {
    return {
      detail: `The job was interrupted ${error.interruptions} times while it ran (the server or worker running it stopped each time) and was given up after ${runs} runs.`,
      code: 'INTERNAL_ERROR',
    };
  }
  return { detail: `Internal error while running the job (it failed ${runs} times).`, code: 'INTERNAL_ERROR' };
}


function yyyymmdd(t: number): string {
  return new Date(t).toISOString().slice(0, 10).replace(/-/g, '');
}

export function createJobService(deps: {
  config: Config;
  store: Store;
  blobs: BlobStore;
  queue: Queue;
  studio: StudioService;
  events: EventService;
  credits: CreditService;
  urlSecret: string;
  log: (msg: string, extra?: object) => void;
}): JobService {
  const { config, store, blobs, queue, studio } = deps;
  const syncSlots = new Semaphore(config.studioConcurrency, config.maxQueueDepth);
  const { credits } = deps;

  const numOutputs = (p: PreparedRequest) => (p.body as { num_output_images?: number }).num_output_images ?? 1;
  const reserve = (accountId: string, p: PreparedRequest, reference: string) =>
    credits.reserveStudio(accountId, p.kind, numOutputs(p), p.candidateIds.length > 0, reference);
  /** Outputs in which a profile was recognised pay the identity price. */
  const settle = (r: Reservation | null | undefined, outcome: StudioOutcome) =>
    credits.settleStudio(r ?? null, identityOutputs(outcome.outputs.length, outcome.knownSubjects.matches.map((m) => m.image_index)));

  async function saveFiles(accountId: string, outcome: StudioOutcome, keepMs: number): Promise<string[]> {
    const now = Date.now();
    const keys: string[] = [];
    for (const data of outcome.outputs) {
      const key = `${yyyymmdd(now)}/${randomBytes(16).toString('hex')}.${extensionFor(outcome.format)}`;
      const type = contentTypeFor(outcome.format);
      await blobs.put(`outputs/${key}`, data, type);
      await store.files.create({ key, accountId, contentType: type, createdAt: now, expiresAt: now + keepMs });
      keys.push(key);
    }
    return keys;
  }

  /** S3 pre-signed URLs when the blob store mints them, else Likeness-signed ones any API node serves. */
  async function signedUrls(keys: string[], baseUrl: string): Promise<string[]> {
    if (blobs.presignedUrl) {
      const presign = blobs.presignedUrl.bind(blobs);
      return Promise.all(keys.map((k) => presign(`outputs/${k}`, Math.floor(config.fileTtlMs / 1000))));
    }
    const expires = Math.floor((Date.now() + config.fileTtlMs) / 1000);
    return keys.map((k) => baseUrl + signFileUrl(`/v1/phota/files/${k}`, expires, deps.urlSecret));
  }

  async function view(job: JobRecord, baseUrl: string): Promise<JobView> {
    const r = job.result as StoredResult | null;
    return {
      job_id: job.id,
      status: job.status,
      created_at: new Date(job.createdAt).toISOString(),
      updated_at: new Date(job.updatedAt).toISOString(),
      result: r
        ? { images: [], download_urls: await signedUrls(r.files, baseUrl), known_subjects: r.known_subjects, ...(r.identity ? { identity: r.identity } : {}) }
        : null,
      error: job.error,
    };
  }

  async function runWithTimeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(new ApiError(504, 'TIMEOUT', `The request did not finish within ${Math.round(ms / 1000)} s.`)), ms);
    const onOuter = () => ctrl.abort(outer?.reason);
    if (outer?.aborted) onOuter();
    outer?.addEventListener('abort', onOuter, { once: true });
    try {
      return await Promise.race([
        fn(ctrl.signal),
        new Promise<never>((_, reject) => ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason), { once: true })),
      ]);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    }
  }

  /**
   * One run of a job. The run takes the job's lease (claimRun) and every final write is fenced
   * on it: a run whose worker was paused past its lease, while another finished the job, finds
   * its write refused and stops without charging or calling back. The charge and the callback
   * come after the final write and from what it stored (afterFinal), never from a run's own
   * outcome: a late run that finished first must not charge what the winning run then refunds.
   * A crash after the write repeats afterFinal (idempotent settle/refund, one callback id).
   */
  async function runJob(task: QueueTask<{ jobId: string }>, signal: AbortSignal) {
    const fence = { runToken: task.token };
    const job = await store.jobs.claimRun(task.payload.jobId, task.token);
    if (!job) return afterFinal(task.payload.jobId); // finished (maybe by a run that crashed before its callback) or gone
    const env = job.request as JobEnvelope;
    const raw = await blobs.get(env.bodyKey);
    if (!raw) throw new Error(`job ${job.id}: request body ${env.bodyKey} is missing`); // → retries, then FAILED
    const prepared: PreparedRequest = { kind: env.kind, body: JSON.parse(raw.toString('utf8')), candidateIds: env.candidateIds, baseModel: env.baseModel };
    try {
      const outcome = await runWithTimeout(config.asyncTimeoutMs, (s) => studio.execute(job.accountId, prepared, s), signal);
      const files = await saveFiles(job.accountId, outcome, config.jobRetentionMs);
      const result: StoredResult = { files, known_subjects: outcome.knownSubjects, identity: outcome.identity };
      if (!(await store.jobs.update(job.id, { status: 'SUCCEEDED', result }, fence))) return lateRun(job.id, task);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e; // unexpected: the queue retries, then onExhausted
      if (signal.aborted && e.code === 'TIMEOUT' && signal.reason !== e) throw e; // shutting down: run again later
      if (!(await store.jobs.update(job.id, { status: 'FAILED', error: { detail: e.detail, code: e.code } }, fence))) return lateRun(job.id, task);
    }
    await afterFinal(job.id);
  }

  function lateRun(jobId: string, task: QueueTask<unknown>) {
    deps.log('late job run: its lease had passed to another run, result discarded', { jobId, attempt: task.attempt });
  }

  /**
   * The steps after a job's final write, repeated harmlessly when a run finds the job finished:
   * the charge for what the stored result shows (or the refund), then the callback.
   */
  async function afterFinal(jobId: string) {
    const job = await store.jobs.getById(jobId);
    if (!job || (job.status !== 'SUCCEEDED' && job.status !== 'FAILED')) return;
    const env = job.request as JobEnvelope;
    const stored = job.result as StoredResult | null;
    if (job.status === 'FAILED') await credits.refund(env.reservation ?? null);
    else if (stored) {
      await credits.settleStudio(env.reservation ?? null, identityOutputs(stored.files.length, stored.known_subjects.matches.map((m) => m.image_index)));
    }
    await blobs.delete(env.bodyKey);
    await notify(job.id, env.baseUrl);
  }

  async function notify(jobId: string, baseUrl: string) {
    const job = await store.jobs.getById(jobId);
    if (job?.callbackUrl) await deps.events.jobCallback(job.accountId, job.callbackUrl, await view(job, baseUrl), callbackDeliveryId(job.id));
  }

  return {
    async runSync(accountId, prepared, baseUrl) {
      const release = await syncSlots.acquire();
      // The slot is held until the work itself settles, not just until the answer: after a 504
      // the work may still be running (an image fetch or a worker-pool task ignores the abort),
      // and freeing its slot early would let timed-out requests pile up beyond the limit.
      let work: Promise<unknown> | undefined;
      try {
        // Reserved before the work; refunded on any failure, timeout (504) or moderation.
        const reservation = await reserve(accountId, prepared, `sync:${randomBytes(8).toString('hex')}`);
        let outcome: StudioOutcome;
        try {
          outcome = await runWithTimeout(config.syncTimeoutMs, (s) => (work = studio.execute(accountId, prepared, s)) as Promise<StudioOutcome>);
        } catch (e) {
          await credits.refund(reservation);
          throw e;
        }
        await settle(reservation, outcome);
        const mode = (prepared.body as { response_mode?: string }).response_mode ?? 'bytes';
        const tail = { known_subjects: outcome.knownSubjects, identity: outcome.identity };
        if (mode === 'urls') {
          const files = await saveFiles(accountId, outcome, config.jobRetentionMs);
          return { body: { images: [], download_urls: await signedUrls(files, baseUrl), ...tail }, baseModelCalls: outcome.baseModelCalls };
        }
        return { body: { images: outcome.outputs.map((b) => b.toString('base64')), download_urls: [], ...tail }, baseModelCalls: outcome.baseModelCalls };
      } finally {
        if (work) void Promise.allSettled([work]).then(release);
        else release();
      }
    },

    async submit(accountId, prepared, baseUrl) {
      const body = prepared.body as { client_request_id?: string | null; callback_url?: string | null };
      const crid = body.client_request_id ?? null;
      const fingerprint = requestFingerprint(prepared.kind, prepared.body);
      const handle = (j: JobRecord) => ({ job_id: j.id, status: j.status, poll_url: `${baseUrl}/v1/phota/jobs/${j.id}` });
      if (crid) {
        const existing = await store.jobs.findByClientRequestId(accountId, crid, Date.now() - IDEMPOTENCY_WINDOW_MS);
        const outcome = resolveIdempotentSubmit(existing, fingerprint);
        if (outcome.kind === 'replay') return handle(outcome.job);
      }
      if ((await queue.depth(STUDIO_QUEUE)) >= config.maxQueueDepth) {
        throw new ApiError(503, 'OVERLOADED', 'The job queue is full; retry later.', { 'Retry-After': '30' });
      }
      const now = Date.now();
      const id = newJobId();
      const reservation = await reserve(accountId, prepared, id);
      const bodyKey = `jobs/${id}.json`;
      await blobs.put(bodyKey, Buffer.from(JSON.stringify(prepared.body)), 'application/json');
      const envelope: JobEnvelope = { kind: prepared.kind, bodyKey, candidateIds: prepared.candidateIds, baseModel: prepared.baseModel, baseUrl, reservation };
      let job: JobRecord;
      try {
        job = await store.jobs.create({
          id,
          accountId,
          kind: prepared.kind,
          status: 'QUEUED',
          request: envelope,
          result: null,
          error: null,
          callbackUrl: body.callback_url ?? null,
          clientRequestId: crid,
          requestHash: fingerprint,
          expiresAt: now + config.jobRetentionMs,
        });
      } catch (e) {
        await credits.refund(reservation);
        await blobs.delete(bodyKey);
        // Two submits with one client_request_id raced: the loser answers like a retry.
        if (crid) {
          const existing = await store.jobs.findByClientRequestId(accountId, crid, now - IDEMPOTENCY_WINDOW_MS);
          if (existing) {
            const outcome = resolveIdempotentSubmit(existing, fingerprint);
            if (outcome.kind === 'replay') return handle(outcome.job);
          }
        }
        throw e;
      }
      // After the commit; if this process dies before it, the stranded-work sweep queues it.
      await queue.enqueue(STUDIO_QUEUE, { jobId: job.id }, { id: job.id });
      return handle(job);
    },

    async get(accountId, id, baseUrl) {
      const job = await store.jobs.get(accountId, id);
      if (!job) throw new ApiError(404, 'NOT_FOUND', `Job '${id}' not found.`);
      return view(job, baseUrl);
    },

    async sweepStranded(before) {
      const stale = await store.jobs.listUnfinished(before, 500);
      for (const j of stale) await queue.enqueue(STUDIO_QUEUE, { jobId: j.id }, { id: j.id });
      return stale.length;
    },

    registerWorker() {
      queue.process<{ jobId: string }>(
        STUDIO_QUEUE,
        {
          concurrency: config.studioConcurrency,
          onExhausted: async (task, error) => {
            const job = await store.jobs.getById(task.payload.jobId);
            deps.log('job failed', { jobId: task.payload.jobId, error: String(error), runs: job?.runs, interruptions: task.interruptions });
            if (!job || job.status === 'SUCCEEDED' || job.status === 'FAILED') return;
            if (await store.jobs.update(job.id, { status: 'FAILED', error: exhaustedJobError(error, job.runs) }, { unfinished: true })) {
              await afterFinal(job.id);
            }
          },
        },
        (task, signal) => runJob(task, signal),
      );
    },
  };
}
