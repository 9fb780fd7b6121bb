// `likeness migrate-data`: an embedded installation (SQLite + blob folder + key file) moved to
// a fresh Postgres database and an S3 bucket; running it again changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { createLocalBlobStore } from '../../src/blobs/local.js';
import { createS3BlobStore } from '../../src/blobs/s3.js';
import { loadConfig } from '../../src/config.js';
import { migrateData } from '../../src/migrate-data.js';
import { newKey, newProfileId } from '../../src/store/ids.js';
import { DISTRIBUTED, createTestDatabase } from '../support/backends.js';
import { startTestS3 } from '../support/s3.js';

test('migrate-data copies every table, the blobs and the URL-signing key; a second run is a no-op', { skip: DISTRIBUTED ? false : 'distributed pass only (PostgreSQL)' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'likeness-migrate-'));
  const database = await createTestDatabase();
  const s3 = await startTestS3();
  try {
    const src = await openSqliteStore(join(dir, 'likeness.db'));
    const account = await src.accounts.create('old');
    const key = newKey();
    await src.keys.create(account.id, key, 'old key');
    await src.credits.grant(account.id, 12_345, 'top-up');
    const id = newProfileId();
    await src.profiles.create({ id, accountId: account.id, tag: 'me', tier: 'fast', status: 'VALIDATING', message: null, progress: 0, imageUrls: ['https://example.com/a.jpg'], images: null, model: null });
    await src.profiles.update(id, { status: 'READY', model: { centroid: [0.5, 0.25] }, progress: 1 });
    await src.files.create({ key: '20261201/abc.jpg', accountId: account.id, contentType: 'image/jpeg', createdAt: 1, expiresAt: Date.now() + 86400_000 });
    await src.close();
    const local = createLocalBlobStore(join(dir, 'blobs'));
    await local.put('outputs/20261201/abc.jpg', Buffer.from('jpeg-bytes'));
    await local.put(`profiles/${id}/picture.jpg`, Buffer.from('picture'));
    await writeFile(join(dir, 'url-signing.key'), 'old-signing-secret\n');

    const config = loadConfig({ LIKENESS_DATA_DIR: join(dir, 'unused'), LIKENESS_DATABASE_URL: database.url, ...s3.env });
    const first = await migrateData(dir, config);
    assert.equal(first.rows, 5, JSON.stringify(first)); // account, key, ledger entry, profile, file
    assert.equal(first.blobs, 2);
    const again = await migrateData(dir, config);
    assert.equal(again.rows, 0, 'nothing copied twice');

    const dst = await openPostgresStore(database.url);
    try {
      assert.equal((await dst.keys.findAccountByKey(key))?.accountId, account.id);
      assert.equal(await dst.credits.balance(account.id), 12_345);
      const p = await dst.profiles.getById(id);
      assert.deepEqual([p?.status, p?.tag, p?.model], ['READY', 'me', { centroid: [0.5, 0.25] }]);
      assert.equal((await dst.files.get('20261201/abc.jpg'))?.contentType, 'image/jpeg');
      assert.equal(await dst.nodeSecrets.getOrCreate('url-signing', () => 'new'), 'old-signing-secret');
    } finally {
      await dst.close();
    }
    const blobs = createS3BlobStore({ bucket: s3.bucket, endpoint: s3.endpoint, forcePathStyle: true, checksums: 'when_required', keyPrefix: s3.env.LIKENESS_S3_PREFIX, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    assert.equal((await blobs.get('outputs/20261201/abc.jpg'))?.toString(), 'jpeg-bytes');
    assert.equal((await blobs.get(`profiles/${id}/picture.jpg`))?.toString(), 'picture');
    blobs.client.destroy();
  } finally {
    await s3.close();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
});
