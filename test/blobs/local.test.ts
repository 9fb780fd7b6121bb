import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBlobStore } from '../../src/blobs/local.js';
import { isValidBlobKey, isValidBlobPrefix } from '../../src/blobs/keys.js';
import { ApiError } from '../../src/errors.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'likeness-blobs-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('key rules', () => {
  for (const ok of ['a', 'outputs/20261121/abc.jpg', 'profiles/abc/ref-1.webp', 'A_b-c.d', 'x/y.tar.gz']) assert.ok(isValidBlobKey(ok), ok);
  for (const bad of ['', '/etc/passwd', '../x', 'a/../b', 'a/./b', 'a//b', 'a/', '.hidden', 'a/.tmp/x', 'a\\b', 'a b', 'ü.jpg', 'a/..', 'C:/x', 'x'.repeat(1025)]) {
    assert.ok(!isValidBlobKey(bad), bad);
  }
  assert.ok(isValidBlobPrefix('profiles/abc/'));
  assert.ok(isValidBlobPrefix('profiles/ab'));
  assert.ok(!isValidBlobPrefix(''));
  assert.ok(!isValidBlobPrefix('/'));
  assert.ok(!isValidBlobPrefix('../'));
});

test('put, get, overwrite, delete', async () => {
  const blobs = createLocalBlobStore(join(dir, 'a'));
  const data = Buffer.from([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]);
  await blobs.put('outputs/20261121/x.jpg', data, 'image/jpeg');
  assert.deepEqual(await blobs.get('outputs/20261121/x.jpg'), data);
  assert.deepEqual(readFileSync(join(dir, 'a', 'outputs', '20261121', 'x.jpg')), data);
  assert.equal(blobs.pathOf('outputs/20261121/x.jpg'), join(dir, 'a', 'outputs', '20261121', 'x.jpg'));
  await blobs.put('outputs/20261121/x.jpg', Buffer.from('second'));
  assert.equal((await blobs.get('outputs/20261121/x.jpg'))?.toString(), 'second');
  assert.equal(await blobs.get('outputs/20261121/missing.jpg'), undefined);
  assert.equal(await blobs.get('outputs'), undefined, 'a directory is not a blob');
  await blobs.delete('outputs/20261121/x.jpg');
  assert.equal(await blobs.get('outputs/20261121/x.jpg'), undefined);
  await blobs.delete('outputs/20261121/x.jpg'); // deleting a missing key is fine
  // No temp files are left behind.
  assert.deepEqual(readdirSync(join(dir, 'a', '.tmp')), []);
});

test('invalid keys are refused before touching the disk', async () => {
  const blobs = createLocalBlobStore(join(dir, 'b'));
  writeFileSync(join(dir, 'outside.txt'), 'do not touch');
  for (const bad of ['../outside.txt', '/tmp/x', 'a/../../outside.txt']) {
    await assert.rejects(blobs.put(bad, Buffer.from('x')), (e: unknown) => e instanceof ApiError && e.status === 400);
    await assert.rejects(blobs.get(bad), ApiError);
    await assert.rejects(blobs.delete(bad), ApiError);
  }
  await assert.rejects(blobs.deletePrefix(''), ApiError);
  await assert.rejects(blobs.deletePrefix('../'), ApiError);
  assert.equal(readFileSync(join(dir, 'outside.txt'), 'utf8'), 'do not touch');
});

test('deletePrefix removes exactly the keys under the prefix', async () => {
  const blobs = createLocalBlobStore(join(dir, 'c'));
  const keys = ['profiles/abc/1.jpg', 'profiles/abc/faces/2.jpg', 'profiles/abcd/3.jpg', 'profiles/xyz/4.jpg', 'profiles-abc.jpg'];
  for (const k of keys) await blobs.put(k, Buffer.from(k));
  await blobs.deletePrefix('profiles/abc/');
  assert.equal(await blobs.get('profiles/abc/1.jpg'), undefined);
  assert.equal(await blobs.get('profiles/abc/faces/2.jpg'), undefined);
  assert.equal((await blobs.get('profiles/abcd/3.jpg'))?.toString(), 'profiles/abcd/3.jpg');
  assert.equal((await blobs.get('profiles/xyz/4.jpg'))?.toString(), 'profiles/xyz/4.jpg');
  // A prefix without a trailing slash is a string prefix.
  await blobs.deletePrefix('profiles/ab');
  assert.equal(await blobs.get('profiles/abcd/3.jpg'), undefined);
  assert.ok(await blobs.get('profiles/xyz/4.jpg'));
  assert.ok(await blobs.get('profiles-abc.jpg'));
  await blobs.deletePrefix('nothing/here/'); // missing directory is fine
});

test('temp files left by a crash are cleaned at open and never visible as keys', async () => {
  const root = join(dir, 'd');
  mkdirSync(join(root, '.tmp'), { recursive: true });
  writeFileSync(join(root, '.tmp', 'half-written'), 'partial');
  const old = new Date(Date.now() - 2 * 3600_000);
  utimesSync(join(root, '.tmp', 'half-written'), old, old);
  writeFileSync(join(root, '.tmp', 'in-flight'), 'another process is writing this');
  const blobs = createLocalBlobStore(root);
  assert.equal(existsSync(join(root, '.tmp', 'half-written')), false);
  assert.equal(existsSync(join(root, '.tmp', 'in-flight')), true, 'a fresh temp file may belong to a live writer');
  await assert.rejects(blobs.get('.tmp/half-written'), ApiError);
});

test('concurrent writers to one key: a reader sees one whole version, never a mix', async () => {
  const blobs = createLocalBlobStore(join(dir, 'e'));
  const a = Buffer.alloc(512 * 1024, 0x61);
  const b = Buffer.alloc(512 * 1024, 0x62);
  const reads: Promise<Buffer | undefined>[] = [];
  const writes: Promise<void>[] = [];
  await blobs.put('k.bin', a);
  for (let i = 0; i < 10; i++) {
    writes.push(blobs.put('k.bin', i % 2 ? a : b));
    reads.push(blobs.get('k.bin'));
  }
  await Promise.all(writes);
  for (const r of await Promise.all(reads)) {
    assert.ok(r && (r.equals(a) || r.equals(b)), 'whole file');
  }
});
