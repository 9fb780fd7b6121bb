// BlobStore on S3 or an S3-compatible service (MinIO, R2, s3rver in tests), so every node sees
// the same photos, references and outputs. Keys map 1:1 to object keys (under an optional prefix).
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BlobStore } from './types.js';
import { assertBlobKey, assertBlobPrefix } from './keys.js';

export interface S3BlobOptions {
  bucket: string;
  /** Custom endpoint (MinIO, s3rver); unset = AWS. */
  endpoint?: string | null;
  region?: string;
  /** Bucket in the path instead of the host name (most S3-compatible servers need this). */
  forcePathStyle?: boolean;
  /**
   * 'when_supported' (the SDK default) adds CRC checksums to every upload; 'when_required'
   * only where the API demands one (servers that mishandle streamed checksums need this).
   */
  checksums?: 'when_supported' | 'when_required';
  /** Object key prefix ("likeness/"), so one bucket can hold other things too. */
  keyPrefix?: string;
  /** Credentials; default: the standard AWS variables and provider chain. */
  credentials?: S3ClientConfig['credentials'];
  /** Keys per listing page (tests use a small one to exercise paging). Default: the server's (1000). */
  listPageSize?: number;
}

export interface S3BlobStore extends BlobStore {
  readonly client: S3Client;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

export function createS3BlobStore(opts: S3BlobOptions): S3BlobStore {
  const checksum = opts.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  const client = new S3Client({
    region: opts.region || 'us-east-1',
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    forcePathStyle: opts.forcePathStyle ?? false,
    requestChecksumCalculation: checksum,
    responseChecksumValidation: checksum,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
  const Bucket = opts.bucket;
  const base = opts.keyPrefix ?? '';
  const objectKey = (key: string) => {
    assertBlobKey(key);
    return base + key;
  };

  async function listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    // Paged by the last key seen (ListObjects' Marker, the v1 form of StartAfter), never by
    // continuation tokens: s3rver cannot mint those on current OpenSSL (it uses DES), and every
    // S3-compatible server supports markers.
    let marker: string | undefined;
    for (;;) {
      const page = await client.send(
        new ListObjectsCommand({ Bucket, Prefix: prefix, ...(opts.listPageSize ? { MaxKeys: opts.listPageSize } : {}), ...(marker ? { Marker: marker } : {}) }),
      );
      const got = (page.Contents ?? []).map((o) => o.Key!).filter(Boolean);
      keys.push(...got);
      if (!page.IsTruncated || got.length === 0) return keys;
      marker = got[got.length - 1];
    }
  }

  return {
    client,

    async put(key, data, contentType) {
      // lib-storage: one PUT for small bodies, a multipart upload for large ones.
      await new Upload({ client, params: { Bucket, Key: objectKey(key), Body: data, ContentType: contentType ?? 'application/octet-stream' } }).done();
    },

    async get(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: objectKey(key) }));
        if (!res.Body) return undefined;
        return Buffer.from(await res.Body.transformToByteArray());
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: objectKey(key) }));
    },

    async deletePrefix(prefix) {
      assertBlobPrefix(prefix);
      const keys = await listKeys(base + prefix);
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const res = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
        if (res.Errors && res.Errors.length > 0) throw new Error(`S3 could not delete ${res.Errors.length} objects under ${prefix}: ${res.Errors[0]!.Message}`);
      }
    },

    async presignedUrl(key, expiresInS) {
      // SigV4 pre-signed URLs last at most 7 days.
      return getSignedUrl(client, new GetObjectCommand({ Bucket, Key: objectKey(key) }), { expiresIn: Math.min(expiresInS, 7 * 86400) });
    },
  };
}
