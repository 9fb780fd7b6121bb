// Idempotent async submits (decisions.md #27). A retried submit with the same
// `client_request_id` (per account, remembered 24 h) returns the original job when the request
// is the same, and 409 IDEMPOTENCY_CONFLICT when it differs. "The same" is decided by a
// fingerprint: SHA-256 over the endpoint and a canonical JSON of the request.
//
// What counts:
// - every field of the *validated* request (pass the body after schema defaults are applied
//   and unknown fields dropped, so `{}` and `{"resolution":"1K"}` are the same request and a
//   legacy `pro_mode` changes nothing, as decisions.md's compatibility rules require);
// - `callback_url` counts: returning the original job for a retry that names another URL would
//   silently never call that URL, so a different callback URL is a different request (409);
// - the endpoint counts: the same id on /edit and /generate is a conflict.
// What does not count: `client_request_id` itself, key order, and object members whose value is
// `undefined` (absent in JSON). Pure: no I/O.

import { createHash } from 'node:crypto';
import { ApiError } from '../errors.js';
import type { JobRecord } from '../store/types.js';

/** Top-level request fields left out of the fingerprint. */
export const FINGERPRINT_IGNORED_FIELDS: readonly string[] = ['client_request_id'];
/** How long a client_request_id is remembered (decisions.md #27). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * JSON with object keys sorted (by UTF-16 code units) at every depth; same value rules as
 * JSON.stringify (toJSON honoured, undefined/functions dropped from objects and null in arrays,
 * non-finite numbers → null). Throws TypeError on cycles and BigInt.
 */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown, inArray: boolean): string | undefined => {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON: () => unknown }).toJSON();
    }
    if (v === null) return 'null';
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return JSON.stringify(v);
      case 'number':
        return Number.isFinite(v) ? JSON.stringify(v) : 'null';
      case 'bigint':
        throw new TypeError('canonicalJson: BigInt is not JSON');
      case 'undefined':
      case 'function':
      case 'symbol':
        return inArray ? 'null' : undefined;
    }
    const obj = v as object;
    if (seen.has(obj)) throw new TypeError('canonicalJson: cyclic value');
    seen.add(obj);
    let out: string;
    if (Array.isArray(obj)) {
      out = `[${obj.map((item) => walk(item, true) as string).join(',')}]`;
    } else {
      const parts: string[] = [];
      for (const key of Object.keys(obj).sort()) {
        const s = walk((obj as Record<string, unknown>)[key], false);
        if (s !== undefined) parts.push(`${JSON.stringify(key)}:${s}`);
      }
      out = `{${parts.join(',')}}`;
    }
    seen.delete(obj);
    return out;
  };
  return walk(value, false) ?? 'null';
}

/**
 * Hex SHA-256 of `endpoint + "\n" + canonicalJson(body without the ignored fields)`.
 * `endpoint` is the route name, e.g. "edit" or "/v1/phota/edit" — use one form consistently.
 */
export function requestFingerprint(endpoint: string, body: unknown): string {
  let subject = body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
    for (const f of FINGERPRINT_IGNORED_FIELDS) delete copy[f];
    subject = copy;
  }
  return createHash('sha256').update(`${endpoint}\n${canonicalJson(subject)}`, 'utf8').digest('hex');
}

export type IdempotencyOutcome = { kind: 'new' } | { kind: 'replay'; job: JobRecord };

/**
 * Decides what a submit with a client_request_id does, given the job found with
 * `store.jobs.findByClientRequestId(account, id, now - IDEMPOTENCY_WINDOW_MS)`:
 * none → 'new'; same fingerprint → 'replay' (answer 202 with that job);
 * different fingerprint → throws ApiError 409 IDEMPOTENCY_CONFLICT.
 */
export function resolveIdempotentSubmit(existing: JobRecord | undefined, fingerprint: string): IdempotencyOutcome {
  if (!existing) return { kind: 'new' };
  if (existing.requestHash === fingerprint) return { kind: 'replay', job: existing };
  throw new ApiError(
    409,
    'IDEMPOTENCY_CONFLICT',
    `client_request_id '${existing.clientRequestId ?? ''}' was already used with a different request (job ${existing.id}); use a new client_request_id`,
  );
}
