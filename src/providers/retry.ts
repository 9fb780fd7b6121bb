// Retries for base-model HTTP calls: backoff on 429/5xx and on connection failures that
// happen before a request reaches the server, honouring Retry-After, bounded and abortable.
// Every adapter hands `fetchWithRetry(...)` to its SDK (all three SDKs accept a custom
// fetch) with the SDK's own retries switched off, so one policy governs every provider.

export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails at once. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

/** A provider answered with a non-2xx status after all retries. */
export class ProviderHttpError extends Error {
  constructor(
    readonly status: number,
    readonly bodyText: string,
    readonly headers: Headers,
    readonly url: string,
    readonly attempts: number,
  ) {
    super(`HTTP ${status} from ${safeUrl(url)}`);
    this.name = 'ProviderHttpError';
  }
  /** Body parsed as JSON, or undefined. */
  get json(): unknown {
    try {
      return JSON.parse(this.bodyText);
    } catch {
      return undefined;
    }
  }
}

/**
 * The provider could not be reached after all retries. Deliberately carries no `code`
 * or `cause`, so SDKs that retry network errors themselves (fal) do not retry again.
 */
export class ProviderConnectError extends Error {
  constructor(
    readonly url: string,
    readonly connectCode: string,
    readonly attempts: number,
  ) {
    super(`cannot connect to ${safeUrl(url)} (${connectCode})`);
    this.name = 'ProviderConnectError';
  }
}

/** Strips query strings (they may carry keys) from URLs shown in messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<url>';
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

const CONNECT_ERROR_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** The system error code somewhere in an error's cause chain (undici wraps them). */
export function networkErrorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for failures where the request never reached the server, so a retry is safe. */
export function isConnectError(err: unknown): boolean {
  const code = networkErrorCode(err);
  return code !== undefined && CONNECT_ERROR_CODES.has(code);
}

/**
 * Milliseconds to wait before attempt `attempt + 1` (attempt counts from 1).
 * `retry-after-ms` (OpenAI) and `Retry-After` (seconds or HTTP date) win over backoff;
 * returns null when the server asks for a longer wait than the policy allows.
 */
export function retryDelayMs(
  attempt: number,
  headers: Headers | undefined,
  policy: RetryPolicy,
  now: number = Date.now(),
  random: () => number = Math.random,
): number | null {
  const ms = headers?.get('retry-after-ms');
  const ra = headers?.get('retry-after');
  let asked: number | undefined;
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) asked = Number(ms);
  else if (ra) {
    const t = ra.trim();
    if (/^\d+(\.\d+)?$/.test(t)) asked = Number(t) * 1000;
    else {
      const date = Date.parse(t);
      if (!Number.isNaN(date)) asked = Math.max(0, date - now);
    }
  }
  if (asked !== undefined) return asked > policy.maxRetryAfterMs ? null : Math.ceil(asked);
  // Exponential backoff with "equal jitter": half fixed, half random.
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** setTimeout as a promise that rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A fetch that retries retryable statuses and connect failures, and throws
 * ProviderHttpError for any non-2xx final answer (so SDKs never retry on their own).
 */
export function fetchWithRetry(policy: RetryPolicy = DEFAULT_RETRY_POLICY, baseFetch: FetchLike = fetch): typeof fetch {
  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await baseFetch(input instanceof Request ? input.clone() : input, init);
      } catch (err) {
        if (signal?.aborted || !isConnectError(err)) throw err;
        if (attempt >= policy.maxAttempts) throw new ProviderConnectError(url, networkErrorCode(err)!, attempt);
        await sleep(retryDelayMs(attempt, undefined, policy)!, signal);
        continue;
      }
      if (res.ok) return res;
      const bodyText = await res.text().catch(() => '');
      if (isRetryableStatus(res.status) && attempt < policy.maxAttempts && !signal?.aborted) {
        const delay = retryDelayMs(attempt, res.headers, policy);
        if (delay !== null) {
          await sleep(delay, signal);
          continue;
        }
      }
      throw new ProviderHttpError(res.status, bodyText, res.headers, url, attempt);
    }
  };
  return wrapped as typeof fetch;
}
