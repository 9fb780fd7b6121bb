// Webhook signatures (decisions.md #25): header `X-Phota-Signature: t=<unix s>,v1=<hex>` where
// v1 = hex HMAC-SHA256 of "<t>.<raw body>" keyed by the account's webhook secret. During a
// secret rotation (#26) the header carries one `v1=` per active secret, like Stripe, so a
// receiver that still knows only the old secret keeps verifying. Pure: no I/O.

import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Phota-Signature';
/** Receivers should reject signatures older than this (decisions.md #25). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Hex HMAC-SHA256 of `${t}.${body}`. */
export function computeSignature(body: string, secret: string, t: number): string {
  return createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
}

/**
 * Header value `t=<t>,v1=<sig>[,v1=<sig>...]`, one `v1` per secret (current first).
 * Throws TypeError for a non-integer timestamp or no secret at all.
 */
export function signPayload(body: string, secret: string | readonly string[], t: number): string {
  if (!Number.isSafeInteger(t) || t < 0) throw new TypeError('signPayload: t must be a non-negative integer (unix seconds)');
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0) throw new TypeError('signPayload: at least one secret is required');
  return [`t=${t}`, ...secrets.map((s) => `v1=${computeSignature(body, s, t)}`)].join(',');
}

export interface ParsedSignature {
  t: number;
  v1: string[];
}

/** Parses a signature header; unknown schemes (v0=, future v2=) are ignored. Returns null if malformed. */
export function parseSignatureHeader(header: string): ParsedSignature | null {
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,15}$/.test(value) || t !== null) return null; // exactly one timestamp
      t = Number(value);
    } else if (key === 'v1') {
      v1.push(value);
    }
  }
  if (t === null || v1.length === 0) return null;
  return { t, v1 };
}

/**
 * True when the header carries a valid `v1` for any of `secrets` and its timestamp is within
 * `toleranceSeconds` of `nowSeconds` (older ones are replays; far-future ones are refused too).
 * Comparison is constant-time per candidate. Never throws.
 */
export function verifySignature(
  header: string | undefined | null,
  body: string,
  secrets: readonly string[],
  nowSeconds: number,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  if (typeof header !== 'string' || secrets.length === 0) return false;
  const parsed = parseSignatureHeader(header);
  if (!parsed) return false;
  if (Math.abs(nowSeconds - parsed.t) > toleranceSeconds) return false;
  const candidates = parsed.v1.filter((v) => /^[0-9a-f]{64}$/i.test(v)).map((v) => Buffer.from(v, 'hex'));
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(`${parsed.t}.${body}`, 'utf8').digest();
    for (const c of candidates) {
      // no early exit: every pair is compared so timing does not reveal which one matched
      if (timingSafeEqual(expected, c)) ok = true;
    }
  }
  return ok;
}
