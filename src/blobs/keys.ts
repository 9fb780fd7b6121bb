// Blob key rules, pure. A key is a relative path of segments made of [A-Za-z0-9._-] that
// never start with a dot: this rules out "..", ".", hidden files and our own temp area.
import { ApiError } from '../errors.js';

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_KEY = 1024;

export function isValidBlobKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_KEY) return false;
  return key.split('/').every((s) => SEGMENT.test(s));
}

/** A key prefix: a valid key, optionally ending in "/". */
export function isValidBlobPrefix(prefix: string): boolean {
  return isValidBlobKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

export function assertBlobKey(key: string): void {
  if (!isValidBlobKey(key)) throw new ApiError(400, 'INVALID_REQUEST', 'invalid file key');
}

export function assertBlobPrefix(prefix: string): void {
  if (!isValidBlobPrefix(prefix)) throw new ApiError(400, 'INVALID_REQUEST', 'invalid file key prefix');
}
