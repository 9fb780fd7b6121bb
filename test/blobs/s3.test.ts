// The S3 blob store against s3rver in-process (or a real S3/MinIO, see test/support/s3.ts).
// Runs in every pass: s3rver needs no service on the machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createS3BlobStore, type S3BlobStore } from '../../src/blobs/s3.js';
import { ApiError } from '../../src/errors.js';
import { startTestS3, type TestS3 } from '../support/s3.js';

let s3: TestS3;
let blobs: S3BlobStore;
before(async () => {
  s3 = await startTestS3();
  for (const [k, v] of Object.entries(s3.env)) if (k.startsWith('AWS_')) process.env[k] ??= v;
  blobs = createS3BlobStore({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    checksums: 'when_required',
    keyPrefix: s3.env.LIKENESS_S3_PREFIX,
    listPageSize: 3,
  });
});
after(async () => {
  blobs.client.destroy();
  await s3.close();
});

test('put, get, overwrite, delete; a missing key is undefined', async () => {
  const data = Buffer.from([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]);
  await blobs.put('outputs/20261121/x.jpg', data, 'image/jpeg');
  assert.deepEqual(await blobs.get('outputs/20261121/x.jpg'), data);
  await blobs.put('outputs/20261121/x.jpg', Buffer.from('second'));
  assert.equal((await blobs.get('outputs/20261121/x.jpg'))?.toString(), 'second');
  assert.equal(await blobs.get('outputs/20261121/missing.jpg'), undefined);
  await blobs.delete('outputs/20261121/x.jpg');
  assert.equal(await blobs.get('outputs/20261121/x.jpg'), undefined);
  await blobs.delete('outputs/20261121/x.jpg'); // deleting twice is fine
});

test('a large upload (multipart) arrives byte for byte', async () => {
  const big = randomBytes(12 * 1024 * 1024 + 17);
  await blobs.put('profiles/big/photos/0.img', big);
  const back = await blobs.get('profiles/big/photos/0.img');
  assert.equal(back?.length, big.length);
  assert.ok(back?.equals(big));
  await blobs.delete('profiles/big/photos/0.img');
});

test('deletePrefix removes every key under it across listing pages, and nothing else', async () => {
  for (let i = 0; i < 8; i++) await blobs.put(`profiles/abc/photos/${i}.img`, Buffer.from(String(i)));
  await blobs.put('profiles/abc/picture.jpg', Buffer.from('p'));
  await blobs.put('profiles/abd/picture.jpg', Buffer.from('other'));
  await blobs.deletePrefix('profiles/abc/');
  for (let i = 0; i < 8; i++) assert.equal(await blobs.get(`profiles/abc/photos/${i}.img`), undefined);
  assert.equal(await blobs.get('profiles/abc/picture.jpg'), undefined);
  assert.equal((await blobs.get('profiles/abd/picture.jpg'))?.toString(), 'other');
});

test('invalid keys are refused before any request', async () => {
  await assert.rejects(blobs.put('../x', Buffer.from('x')), ApiError);
  await assert.rejects(blobs.get('a//b'), ApiError);
  await assert.rejects(blobs.deletePrefix('/'), ApiError);
});

test('a pre-signed URL downloads the object with plain HTTP', async () => {
  await blobs.put('outputs/20261122/y.png', Buffer.from('png-bytes'), 'image/png');
  const url = await blobs.presignedUrl!('outputs/20261122/y.png', 86400);
  assert.match(url, /X-Amz-Signature=/);
  assert.match(url, /X-Amz-Expires=86400/);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
  assert.equal(await res.text(), 'png-bytes');
});
