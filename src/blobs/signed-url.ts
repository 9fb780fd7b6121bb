// Signed output URLs (decisions.md #31): `/v1/phota/files/<yyyymmdd>/<name>.<ext>?expires=<unix>&token=<t>`
// with token = base64url HMAC-SHA256 of `path + "\n" + expires`. The path is signed exactly as
// given (no normalisation), so the server must verify against the raw request path it routes on.
// Pure: no I/O.

import { createHmac, timingSafeEqual } from 'node:crypto';

export type FileUrlCheck = 'ok' | 'expired' | 'invalid';

function fileToken(path: string, expires: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(`${path}\n${expires}`, 'utf8').digest();
}

/** Returns `path?expires=<expiresUnixS>&token=<base64url>`. Throws TypeError on a bad expiry or a path with a query. */
export function signFileUrl(path: string, expiresUnixS: number, secret: string): string {
  if (!Number.isSafeInteger(expiresUnixS) || expiresUnixS < 0) throw new TypeError('signFileUrl: expiresUnixS must be a non-negative integer');
  if (path.includes('?') || path.includes('#')) throw new TypeError('signFileUrl: path must not contain a query or fragment');
  if (!secret) throw new TypeError('signFileUrl: empty secret');
  const expires = String(expiresUnixS);
  const token = fileToken(path, expires, secret).toString('base64url');
  return `${path}?expires=${expires}&token=${token}`;
}

/**
 * 'invalid' when the token is missing, malformed or does not match path+expires (so a tampered
 * expiry is 'invalid', not 'expired'); 'expired' when valid but `nowUnixS >= expires`; else 'ok'.
 * Query values that arrive as arrays (repeated parameters) are 'invalid'. Never throws.
 */
export function verifyFileUrl(
  path: string,
  query: { expires?: unknown; token?: unknown },
  secret: string,
  nowUnixS: number,
): FileUrlCheck {
  const { expires, token } = query;
  if (typeof expires !== 'string' || typeof token !== 'string' || !secret) return 'invalid';
  // canonical decimal only: "0100" or "1e9" would otherwise sign differently from what we issued
  if (!/^(0|[1-9]\d{0,14})$/.test(expires)) return 'invalid';
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return 'invalid';
  // compare the encoded text, not decoded bytes: base64url decoding ignores the last
  // character's spare bits, so two different tokens could decode to the same bytes
  const given = Buffer.from(token, 'latin1');
  const expected = Buffer.from(fileToken(path, expires, secret).toString('base64url'), 'latin1');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
  return nowUnixS >= Number(expires) ? 'expired' : 'ok';
}
