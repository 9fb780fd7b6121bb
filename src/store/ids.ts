// Random identifiers. Pure apart from the CSPRNG: no I/O, no clock.
// Characters are drawn by rejection sampling so every character of the alphabet is
// equally likely (a plain `byte % n` would favour the first 256 % n characters).
import { randomBytes } from 'node:crypto';

export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` characters drawn uniformly from `alphabet` (2..256 distinct characters). */
export function randomString(length: number, alphabet: string = LOWER_ALNUM): string {
  const n = alphabet.length;
  if (n < 2 || n > 256) throw new RangeError('alphabet must have 2..256 characters');
  if (!Number.isInteger(length) || length < 0) throw new RangeError('length must be a non-negative integer');
  const limit = 256 - (256 % n); // bytes >= limit are rejected
  let out = '';
  while (out.length < length) {
    const buf = randomBytes(Math.ceil((length - out.length) * 1.25) + 4);
    for (let i = 0; i < buf.length && out.length < length; i++) {
      const b = buf[i]!;
      if (b < limit) out += alphabet[b % n];
    }
  }
  return out;
}

/** `prefix` + `length` lowercase letters/digits, e.g. newId('job_', 24). */
export function newId(prefix = '', length = 24): string {
  return prefix + randomString(length, LOWER_ALNUM);
}

/** Profile id: 20 lowercase letters and digits (decisions.md #22). */
export const newProfileId = (): string => randomString(20, LOWER_ALNUM);
/** Job id: "job_" + 24 lowercase letters and digits. */
export const newJobId = (): string => newId('job_', 24);
/** API key: "lk_" + 40 base62 characters (~238 bits). */
export const newKey = (): string => 'lk_' + randomString(40, BASE62);

export const PROFILE_ID_RE = /^[a-z0-9]{20}$/;
export const JOB_ID_RE = /^job_[a-z0-9]{24}$/;
export const KEY_RE = /^lk_[0-9A-Za-z]{40}$/;
