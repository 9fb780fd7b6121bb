// Admin keys: `likeness keys create --admin` makes a key that may list, create and revoke keys
// through /v1/likeness/keys; ordinary keys get 403; a revoked key stops working at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './harness.js';
import { newKey } from '../../src/store/ids.js';

let s: TestServer;
let admin: string;
before(async () => {
  s = await startTestServer();
  const store = s.server.ctx.store;
  const acc = await store.accounts.create('ops');
  admin = newKey();
  await store.keys.create(acc.id, admin, 'ops', { admin: true });
});
after(async () => s.close());

const as = (key: string) => ({ 'X-API-Key': key });

test('an ordinary key cannot list, create or revoke keys; /me says what it is', async () => {
  for (const [m, p, b] of [['GET', '/v1/likeness/keys'], ['POST', '/v1/likeness/keys', {}], ['DELETE', '/v1/likeness/keys/key_aaaaaaaaaaaa']] as const) {
    const r = await s.json(m, p, b);
    assert.equal(r.status, 403, `${m} ${p}`);
    assert.equal(r.body.code, 'FORBIDDEN');
  }
  const me = await s.json('GET', '/v1/likeness/me');
  assert.equal(me.status, 200);
  assert.equal(me.body.admin, false);
  assert.equal(me.body.account_id, s.accountId);
  const meAdmin = await s.json('GET', '/v1/likeness/me', undefined, as(admin));
  assert.equal(meAdmin.body.admin, true);
  const noKey = await fetch(`${s.url}/v1/likeness/keys`);
  assert.equal(noKey.status, 403);
});

test('an admin key lists every key without the key itself, creates one and revokes it', async () => {
  const list = await s.json('GET', '/v1/likeness/keys', undefined, as(admin));
  assert.equal(list.status, 200);
  assert.ok(list.body.keys.length >= 2);
  assert.ok(!JSON.stringify(list.body).includes(admin), 'the key itself was listed');
  const mine = list.body.keys.find((k: any) => k.name === 'ops');
  assert.equal(mine.admin, true);
  assert.equal(mine.revoked_at, null);

  const made = await s.json('POST', '/v1/likeness/keys', { name: 'alice' }, as(admin));
  assert.equal(made.status, 200);
  assert.match(made.body.key, /^lk_/);
  assert.equal(made.body.admin, false);
  assert.equal((await s.json('GET', '/v1/phota/', undefined, as(made.body.key))).status, 200);

  const revoked = await s.json('DELETE', `/v1/likeness/keys/${made.body.key_id}`, undefined, as(admin));
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.status, 'revoked');
  assert.equal((await s.json('GET', '/v1/phota/', undefined, as(made.body.key))).status, 401);
  const again = await s.json('GET', '/v1/likeness/keys', undefined, as(admin));
  assert.ok(again.body.keys.find((k: any) => k.key_id === made.body.key_id).revoked_at);

  assert.equal((await s.json('DELETE', '/v1/likeness/keys/key_nosuchkey00', undefined, as(admin))).status, 404);
  assert.equal((await s.json('POST', '/v1/likeness/keys', { admin: 'yes' }, as(admin))).status, 422);
});
