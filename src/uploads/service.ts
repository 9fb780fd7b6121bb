// Local uploads (decisions.md "Local uploads"): image bytes checked like any image input
// (size, type, decode, metadata stripped), kept in the blob store for a limited time and
// named by a Likeness-signed URL. The same account's /profiles/add and studio requests
// accept that URL; it is resolved from the blob store, never fetched over HTTP, so it works
// without LIKENESS_ALLOW_PRIVATE_URLS. Another account's upload is a 404.
import { ApiError } from '../errors.js';
import type { BlobStore } from '../blobs/types.js';
import type { Store, UploadRecord } from '../store/types.js';
import { newId } from '../store/ids.js';
import { normaliseImage, MAX_INPUT_BYTES } from '../imaging/input.js';
import { checkUploadUrl, signUploadUrl } from './url.js';
import { uploads as uploadsStored } from '../metrics/registry.js';

export const uploadKey = (id: string) => `uploads/${id}`;

export interface UploadView {
  url: string;
  expires_at: string;
  /** Extension fields: what was stored. */
  upload_id: string;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
}

/** Given an image input URL: its bytes when it is this account's upload, null when it is not an upload URL. */
export type UploadResolver = (url: string, field: string) => Promise<Buffer | null>;

export interface UploadService {
  create(accountId: string, data: Buffer, baseUrl: string): Promise<UploadView>;
  /** For image inputs: resolves this account's upload URLs from the blob store (404 for anyone else's). */
  resolver(accountId: string): UploadResolver;
  /** Checks every upload URL among `urls` is usable by this account now (404 otherwise). Other URLs pass. */
  assertUsable(accountId: string, urls: Array<[url: string, field: string]>): Promise<void>;
  /** Replaces upload URLs in image fields by data: URIs of their bytes (studio, recognize). */
  inline(accountId: string, value: string, field: string): Promise<string>;
  /** Bytes behind a signed GET (the signature is the credential, as for output files). */
  read(id: string): Promise<{ data: Buffer; contentType: string } | undefined>;
  /** Removes expired uploads; returns how many. */
  sweep(now: number): Promise<number>;
}

export function createUploadService(deps: { store: Store; blobs: BlobStore; urlSecret: string; ttlMs: number; now?: () => number }): UploadService {
  const { store, blobs } = deps;
  const now = deps.now ?? Date.now;
  const notFound = (field: string, why: string) => new ApiError(404, 'NOT_FOUND', `${field}: ${why}`);

  async function lookup(accountId: string, url: string, field: string): Promise<UploadRecord | null> {
    const c = checkUploadUrl(url, deps.urlSecret, now());
    if (c.kind === 'not_upload') return null;
    const rec = await store.uploads.get(accountId, c.id);
    if (!rec) throw notFound(field, 'upload not found (uploads can only be used by the account that made them)');
    if (c.kind === 'expired' || rec.expiresAt <= now()) {
      throw notFound(field, `the upload expired at ${new Date(rec.expiresAt).toISOString()}; upload the file again`);
    }
    return rec;
  }

  async function bytesOf(accountId: string, url: string, field: string): Promise<{ rec: UploadRecord; data: Buffer } | null> {
    const rec = await lookup(accountId, url, field);
    if (!rec) return null;
    const data = await blobs.get(uploadKey(rec.id));
    if (!data) throw notFound(field, 'upload not found or no longer kept');
    return { rec, data };
  }

  return {
    async create(accountId, data, baseUrl) {
      if (data.length === 0) throw new ApiError(400, 'IMAGE_UNREADABLE', 'file: the upload is empty');
      const img = await normaliseImage(data, { maxBytes: MAX_INPUT_BYTES }, 'file');
      const id = newId('upl_', 24);
      const t = now();
      const ext = img.encoding === 'png' ? 'png' : 'jpg';
      const contentType = img.encoding === 'png' ? 'image/png' : 'image/jpeg';
      await blobs.put(uploadKey(id), img.data, contentType);
      const rec: UploadRecord = { id, accountId, contentType, bytes: img.data.length, width: img.width, height: img.height, createdAt: t, expiresAt: t + deps.ttlMs };
      await store.uploads.create(rec);
      uploadsStored.inc();
      return {
        url: signUploadUrl(baseUrl, id, ext, rec.expiresAt, deps.urlSecret),
        expires_at: new Date(rec.expiresAt).toISOString(),
        upload_id: id,
        content_type: contentType,
        bytes: rec.bytes,
        width: rec.width,
        height: rec.height,
      };
    },

    resolver(accountId) {
      return async (url, field) => (await bytesOf(accountId, url, field))?.data ?? null;
    },

    async assertUsable(accountId, urls) {
      for (const [url, field] of urls) await lookup(accountId, url, field);
    },

    async inline(accountId, value, field) {
      if (typeof value !== 'string' || !/^https?:\/\//i.test(value.trimStart().slice(0, 8))) return value;
      const found = await bytesOf(accountId, value.trim(), field);
      return found ? `data:${found.rec.contentType};base64,${found.data.toString('base64')}` : value;
    },

    async read(id) {
      const data = await blobs.get(uploadKey(id));
      return data && { data, contentType: data[0] === 0x89 ? 'image/png' : 'image/jpeg' };
    },

    async sweep(at) {
      const ids = await store.uploads.deleteExpired(at);
      for (const id of ids) await blobs.delete(uploadKey(id));
      return ids.length;
    },
  };
}
