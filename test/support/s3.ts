// An in-process S3 server (s3rver) on 127.0.0.1 for tests, or a real S3/MinIO when
// LIKENESS_TEST_S3_ENDPOINT (+ AWS credentials, LIKENESS_TEST_S3_BUCKET) is set.
// s3rver does not check signatures and mishandles the SDK's default streamed checksums, so
// tests use checksums 'when_required' against it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';

export interface TestS3 {
  bucket: string;
  endpoint: string;
  /** The LIKENESS_S3_* settings (and AWS keys for s3rver) a node needs. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startTestS3(): Promise<TestS3> {
  const real = process.env.LIKENESS_TEST_S3_ENDPOINT;
  if (real) {
    const bucket = process.env.LIKENESS_TEST_S3_BUCKET ?? 'likeness-test';
    const prefix = `t_${randomBytes(6).toString('hex')}/`;
    return {
      bucket,
      endpoint: real,
      env: { LIKENESS_S3_BUCKET: bucket, LIKENESS_S3_ENDPOINT: real, LIKENESS_S3_FORCE_PATH_STYLE: '1', LIKENESS_S3_PREFIX: prefix },
      async close() {},
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'likeness-s3-'));
  const bucket = `likeness-${randomBytes(4).toString('hex')}`;
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const addr = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${addr.port}`;
  return {
    bucket,
    endpoint,
    env: {
      LIKENESS_S3_BUCKET: bucket,
      LIKENESS_S3_ENDPOINT: endpoint,
      LIKENESS_S3_FORCE_PATH_STYLE: '1',
      LIKENESS_S3_CHECKSUMS: 'when_required',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
