import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCallbackUrl, type LookupAll } from '../../src/jobs/url-policy.js';
import { ValidationFailed } from '../../src/errors.js';

// DNS is the outside boundary: answer from a table instead of the network.
const table: Record<string, string[]> = {
  'public.example': ['93.184.216.34'],
  'internal.example': ['10.1.2.3'],
  'mixed.example': ['93.184.216.34', '127.0.0.1'],
  'v6.example': ['2606:2800:220:1:248:1893:25c8:1946'],
  'mapped.example': ['::ffff:169.254.169.254'],
};
const lookup: LookupAll = async (host) => {
  const a = table[host];
  if (!a) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const strict = { allowHttp: false, allowPrivate: false, lookup };

async function refused(url: string, policy = strict): Promise<void> {
  await assert.rejects(assertCallbackUrl(url, policy), (e: unknown) => {
    assert.ok(e instanceof ValidationFailed, String(e));
    assert.deepEqual(e.issues[0].loc, ['body', 'callback_url']);
    return true;
  }, url);
}

test('public https URLs pass', async () => {
  await assertCallbackUrl('https://public.example/hooks?x=1', strict);
  await assertCallbackUrl('https://v6.example/', strict);
  await assertCallbackUrl('https://93.184.216.34/cb', strict);
});

test('scheme rules', async () => {
  await refused('http://public.example/cb');
  await assertCallbackUrl('http://public.example/cb', { ...strict, allowHttp: true });
  await refused('ftp://public.example/cb', { ...strict, allowHttp: true });
  await refused('not a url');
  await refused('/relative/path');
  await refused('https://user:pw@public.example/cb');
});

test('private, loopback, metadata and unresolvable hosts are refused', async () => {
  for (const u of [
    'https://127.0.0.1/cb', 'https://[::1]/cb', 'https://10.0.0.5/', 'https://192.168.1.1/', 'https://169.254.169.254/latest',
    'https://0x7f.1/', 'https://[::ffff:127.0.0.1]/', 'https://internal.example/', 'https://mixed.example/',
    'https://mapped.example/', 'https://nowhere.example/', 'https://localhost/',
  ]) {
    await refused(u);
  }
});

test('allowPrivate lets local receivers through without DNS', async () => {
  await assertCallbackUrl('https://127.0.0.1:8443/cb', { ...strict, allowPrivate: true });
  await assertCallbackUrl('http://localhost:3000/cb', { allowHttp: true, allowPrivate: true });
});
