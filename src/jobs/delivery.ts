// Durable, signed callback/webhook delivery (decisions.md #25 and the account webhook).
// Each delivery lives in the store, so one pending when the process dies is sent after restart.
// An attempt is recorded (attempts+1, next retry time) *before* the POST: a crash mid-attempt
// then leads to a retry at the scheduled time rather than to a lost or hot-looping delivery.
// Delivery is at-least-once; receivers de-duplicate on X-Likeness-Delivery.

import { recordDelivery } from '../metrics/registry.js';
import { randomBytes } from 'node:crypto';
import type { DeliveryRecord, Store } from '../store/types.js';
import { signPayload, SIGNATURE_HEADER } from './signing.js';
import { assertCallbackUrl, type LookupAll } from './url-policy.js';

/** Delay before each attempt (ms): before the 1st, 2nd, ... 6 attempts over about an hour. */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [0, 30_000, 120_000, 480_000, 1_200_000, 1_800_000];
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
export const USER_AGENT = 'Likeness-Webhooks/1';

export interface DeliveryDeps {
  store: Store;
  fetchImpl?: typeof fetch;
  /** Unix ms. */
  now?: () => number;
  /** Delay before each attempt in ms; its length is the number of attempts. */
  schedule?: readonly number[];
  allowHttp: boolean;
  allowPrivate: boolean;
  timeoutMs?: number;
  log?: (msg: string, extra?: object) => void;
  /** Polling interval of start(), ms. */
  pollMs?: number;
  /** Deliveries attempted in parallel within one pass. */
  concurrency?: number;
  /** DNS resolution for the URL policy (tests). */
  lookup?: LookupAll;
}

export interface DeliveryService {
  /**
   * Stores a delivery of `JSON.stringify(payload)` to `url`; returns its id (dlv_...). The first
   * attempt is due at once. With `id`, a delivery that exists already is kept as it is (one event, one delivery).
   */
  enqueue(accountId: string, url: string, payload: unknown, id?: string): Promise<string>;
  /** Starts polling for due deliveries; idempotent. */
  start(): void;
  /** Stops polling and waits for the pass in progress (bounded by the attempt timeout). */
  stop(): Promise<void>;
  /** One pass over due deliveries; resolves to the number of attempts made. Never rejects. */
  deliverDue(): Promise<number>;
}

/** Outcome of one HTTP attempt; exported for tests and logs. */
export type AttemptResult = { ok: true; status: number } | { ok: false; error: string };

const PASS_LIMIT = 50;

export function createDeliveryService(deps: DeliveryDeps): DeliveryService {
  const store = deps.store;
  const fetchImpl = deps.fetchImpl ?? fetch;
  const now = deps.now ?? Date.now;
  const schedule = deps.schedule && deps.schedule.length > 0 ? deps.schedule : DEFAULT_RETRY_SCHEDULE_MS;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  const log = deps.log ?? (() => {});
  const pollMs = deps.pollMs ?? 500;
  const concurrency = Math.max(1, deps.concurrency ?? 4);
  const maxAttempts = schedule.length;

  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let pass: Promise<number> | null = null;

  async function post(d: DeliveryRecord, attempt: number): Promise<AttemptResult> {
    try {
      await assertCallbackUrl(d.url, { allowHttp: deps.allowHttp, allowPrivate: deps.allowPrivate, lookup: deps.lookup });
    } catch (e) {
      return { ok: false, error: `refused URL: ${(e as Error).message}` };
    }
    let secrets: string[];
    try {
      secrets = (await store.webhookSecrets.active(d.accountId, now())).map((s) => s.secret);
      if (secrets.length === 0) secrets = [(await store.webhookSecrets.current(d.accountId)).secret];
    } catch (e) {
      return { ok: false, error: `no webhook secret: ${(e as Error).message}` };
    }
    const t = Math.floor(now() / 1000);
    try {
      const res = await fetchImpl(d.url, {
        method: 'POST',
        body: d.body,
        // never follow a redirect: it could lead to an address the policy refuses
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': USER_AGENT,
          [SIGNATURE_HEADER]: signPayload(d.body, secrets, t),
          'X-Likeness-Delivery': d.id,
          'X-Likeness-Attempt': String(attempt),
        },
      });
      // the body is of no interest; release the connection
      await res.body?.cancel().catch(() => {});
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      return { ok: false, error: `HTTP ${res.status}` };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const reason = err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : err.cause?.code ?? err.cause?.message ?? err.message;
      return { ok: false, error: `network error: ${reason}` };
    }
  }

  /** Returns false when another process claimed this attempt first. */
  async function attemptOne(d: DeliveryRecord): Promise<boolean> {
    const attempt = d.attempts + 1;
    if (attempt > maxAttempts) {
      // the process stopped during the final attempt: its outcome is unknown
      await store.deliveries.update(d.id, { status: 'FAILED', lastError: d.lastError ?? 'interrupted during the final attempt' });
      return true;
    }
    const isLast = attempt === maxAttempts;
    // Claim the attempt first, atomically: of several delivery processes that saw it due, one
    // sends it. On the last attempt the "next" time only matters after a crash.
    const nextAt = now() + (isLast ? 2 * timeoutMs : schedule[attempt]);
    if (!(await store.deliveries.claimAttempt(d.id, d.attempts, nextAt, now()))) return false;

    const r = await post(d, attempt);
    recordDelivery(r.ok ? 'delivered' : isLast ? 'failed' : 'retry');
    if (r.ok) {
      await store.deliveries.update(d.id, { status: 'DELIVERED', lastError: null });
      log('webhook delivered', { delivery: d.id, attempt, status: r.status });
    } else if (isLast) {
      await store.deliveries.update(d.id, { status: 'FAILED', lastError: r.error });
      log('webhook failed for good', { delivery: d.id, attempt, error: r.error, url: d.url });
    } else {
      await store.deliveries.update(d.id, { lastError: r.error });
      log('webhook attempt failed', { delivery: d.id, attempt, error: r.error, retryAt: nextAt });
    }
    return true;
  }

  async function runPass(): Promise<number> {
    let done = 0;
    try {
      const due = await store.deliveries.due(now(), PASS_LIMIT);
      let next = 0;
      const worker = async () => {
        while (next < due.length) {
          const d = due[next++];
          try {
            if (await attemptOne(d)) done++;
          } catch (e) {
            // a store error: the delivery stays PENDING and is picked up by a later pass
            log('webhook delivery error', { delivery: d.id, error: (e as Error).message });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
    } catch (e) {
      log('webhook pass error', { error: (e as Error).message });
    }
    return done;
  }

  function deliverDue(): Promise<number> {
    // passes never overlap, so a delivery is never attempted twice at once by this process
    const p: Promise<number> = (pass ?? Promise.resolve(0)).then(runPass, runPass);
    pass = p;
    void p.finally(() => {
      if (pass === p) pass = null;
    });
    return p;
  }

  function schedulePoll(delay: number): void {
    if (!running) return;
    timer = setTimeout(() => {
      timer = null;
      void deliverDue().finally(() => schedulePoll(pollMs));
    }, delay);
    timer.unref();
  }

  return {
    async enqueue(accountId, url, payload, givenId) {
      const body = JSON.stringify(payload);
      if (body === undefined) throw new TypeError('enqueue: payload is not JSON-serialisable');
      const id = givenId ?? `dlv_${randomBytes(12).toString('hex')}`;
      await store.deliveries.create({
        id,
        accountId,
        url,
        body,
        attempts: 0,
        nextAttemptAt: now() + schedule[0],
        status: 'PENDING',
        lastError: null,
      });
      // send promptly instead of waiting for the next poll
      if (running && timer && schedule[0] === 0) {
        clearTimeout(timer);
        schedulePoll(0);
      }
      return id;
    },
    start() {
      if (running) return;
      running = true;
      schedulePoll(0);
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      if (pass) await pass;
    },
    deliverDue,
  };
}
