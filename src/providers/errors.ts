// Turns whatever a provider call threw into the contract's errors: a refusal → 400
// CONTENT_MODERATION; unreachable, rate-limited, unauthorised or failing after retries →
// 503 BASE_MODEL_UNAVAILABLE; anything else → 500 INTERNAL_ERROR with a clean message.
// Caller aborts (timeouts) are rethrown untouched so the caller can answer 504.
import { ApiError } from '../errors.js';
import { ProviderConnectError, ProviderHttpError, networkErrorCode, retryDelayMs, DEFAULT_RETRY_POLICY } from './retry.js';

export function unavailable(displayName: string, why: string, headers: Record<string, string> = {}): ApiError {
  return new ApiError(503, 'BASE_MODEL_UNAVAILABLE', `Base model ${displayName} is unavailable: ${why}`, headers);
}

export function moderation(displayName: string, why?: string): ApiError {
  return new ApiError(
    400,
    'CONTENT_MODERATION',
    `Base model ${displayName} refused the request${why ? ` (${why})` : ''}. Change the prompt or images and try again.`,
  );
}

/** Error codes/types providers use for a content-policy refusal. */
const REFUSAL_MARKERS = ['moderation_blocked', 'content_policy_violation', 'content_filter', 'safety_violation', 'responsibleaipolicyviolation'];

/** Whether an HTTP error body says the provider refused on content grounds. */
export function isRefusalBody(status: number, body: unknown, text: string): boolean {
  if (status !== 400 && status !== 403 && status !== 422) return false;
  const codes: string[] = [];
  const visit = (v: unknown, depth: number) => {
    if (depth > 4 || v === null || v === undefined) return;
    if (Array.isArray(v)) return v.forEach((x) => visit(x, depth + 1));
    if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if ((k === 'code' || k === 'type' || k === 'error') && typeof x === 'string') codes.push(x.toLowerCase());
        visit(x, depth + 1);
      }
    }
  };
  visit(body, 0);
  if (codes.some((c) => REFUSAL_MARKERS.includes(c))) return true;
  // Some gateways only say it in prose.
  return body === undefined && /moderation_blocked|content_policy_violation/i.test(text);
}

function messageFrom(body: unknown, text: string): string {
  const b = body as { error?: { message?: unknown } | string; detail?: unknown; message?: unknown } | undefined;
  let msg: unknown;
  if (b && typeof b === 'object') {
    if (typeof b.error === 'object' && b.error && typeof b.error.message === 'string') msg = b.error.message;
    else if (typeof b.error === 'string') msg = b.error;
    else if (typeof b.message === 'string') msg = b.message;
    else if (Array.isArray(b.detail) && b.detail[0] && typeof b.detail[0].msg === 'string') msg = b.detail[0].msg;
    else if (typeof b.detail === 'string') msg = b.detail;
  }
  const s = typeof msg === 'string' ? msg : text;
  return s.replace(/\s+/g, ' ').trim().slice(0, 300);
}

function isAbort(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError' || name === 'APIUserAbortError';
}

/** Finds an error of our fetch in the cause chain (SDKs wrap what fetch throws). */
function findInChain<T>(err: unknown, type: new (...args: any[]) => T): T | undefined {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    if (cur instanceof type) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps an HTTP failure (after retries) to the contract's error. */
export function mapHttpFailure(displayName: string, status: number, body: unknown, text: string, headers?: Headers): ApiError {
  if (isRefusalBody(status, body, text)) return moderation(displayName, messageFrom(body, text) || undefined);
  if (status === 401 || status === 403) return unavailable(displayName, `the provider rejected the configured credentials (HTTP ${status})`);
  if (status === 429) {
    const wait = retryDelayMs(1, headers, { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: Infinity });
    const secs = Math.max(1, Math.ceil((wait ?? 1000) / 1000));
    return unavailable(displayName, 'the provider is rate limiting requests', { 'Retry-After': String(secs) });
  }
  if (status >= 500) return unavailable(displayName, `the provider failed (HTTP ${status}${text ? `: ${messageFrom(body, text)}` : ''})`);
  return new ApiError(500, 'INTERNAL_ERROR', `Base model ${displayName} rejected the request (HTTP ${status}): ${messageFrom(body, text)}`);
}

/**
 * Maps any error from a provider call. `signal` is the request's signal: when it fired,
 * the original error (the abort reason) is rethrown instead of being mapped.
 */
export function mapProviderError(displayName: string, err: unknown, signal?: AbortSignal): unknown {
  if (err instanceof ApiError) return err;
  if (signal?.aborted || isAbort(err)) return signal?.aborted ? (signal.reason ?? err) : err;
  const conn = findInChain(err, ProviderConnectError);
  if (conn) return unavailable(displayName, `cannot reach the provider (${conn.connectCode})`);
  const http = findInChain(err, ProviderHttpError);
  if (http) return mapHttpFailure(displayName, http.status, http.json, http.bodyText, http.headers);
  // SDK errors that carry a status without going through our fetch (e.g. a parsed body).
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400) {
    const body = (err as { error?: unknown; body?: unknown }).error ?? (err as { body?: unknown }).body;
    return mapHttpFailure(displayName, status, body, String((err as Error).message ?? ''));
  }
  const code = networkErrorCode(err);
  if (code || (err instanceof TypeError && /fetch failed/i.test(err.message)) || (err as { name?: string })?.name === 'APIConnectionError') {
    return unavailable(displayName, `cannot reach the provider${code ? ` (${code})` : ''}`);
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'INTERNAL_ERROR', `Base model ${displayName} failed: ${msg.slice(0, 300)}`);
}
