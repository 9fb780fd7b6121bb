import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signFileUrl, verifyFileUrl } from '../../src/blobs/signed-url.js';

const path = '/v1/phota/files/20261121/abc123.jpg';
const secret = 'file-secret';
const exp = 1_790_086_400;

function query(url: string): { expires?: string; token?: string } {
  const q = new URL(url, 'http://x').searchParams;
  return { expires: q.get('expires') ?? undefined, token: q.get('token') ?? undefined };
}

test('signed URL shape and token algorithm', () => {
  const url = signFileUrl(path, exp, secret);
  const token = createHmac('sha256', secret).update(`${path}\n${exp}`).digest('base64url');
  assert.equal(url, `${path}?expires=${exp}&token=${token}`);
});

test('ok before expiry, expired at and after it', () => {
  const q = query(signFileUrl(path, exp, secret));
  assert.equal(verifyFileUrl(path, q, secret, exp - 86_400), 'ok');
  assert.equal(verifyFileUrl(path, q, secret, exp - 1), 'ok');
  assert.equal(verifyFileUrl(path, q, secret, exp), 'expired');
  assert.equal(verifyFileUrl(path, q, secret, exp + 10), 'expired');
});

test('tampered path, expiry, token or secret is invalid', () => {
  const q = query(signFileUrl(path, exp, secret));
  const now = exp - 100;
  assert.equal(verifyFileUrl('/v1/phota/files/20261121/abc124.jpg', q, secret, now), 'invalid');
  assert.equal(verifyFileUrl(path + '/', q, secret, now), 'invalid');
  assert.equal(verifyFileUrl(path, { ...q, expires: String(exp + 86_400) }, secret, now), 'invalid');
  assert.equal(verifyFileUrl(path, { ...q, expires: `0${exp}` }, secret, now), 'invalid', 'non-canonical number');
  // an extended expiry on an already expired URL is still invalid, not expired
  assert.equal(verifyFileUrl(path, { ...q, expires: String(exp + 86_400) }, secret, exp + 5), 'invalid');
  const tok = q.token!;
  for (let i = 0; i < tok.length; i++) {
    const c = tok[i] === 'A' ? 'B' : 'A';
    const t2 = tok.slice(0, i) + c + tok.slice(i + 1);
    assert.equal(verifyFileUrl(path, { ...q, token: t2 }, secret, now), 'invalid', `char ${i}`);
  }
  assert.equal(verifyFileUrl(path, q, 'other-secret', now), 'invalid');
});

test('missing or non-string parameters are invalid', () => {
  const q = query(signFileUrl(path, exp, secret));
  assert.equal(verifyFileUrl(path, {}, secret, 0), 'invalid');
  assert.equal(verifyFileUrl(path, { expires: q.expires }, secret, 0), 'invalid');
  assert.equal(verifyFileUrl(path, { token: q.token }, secret, 0), 'invalid');
  assert.equal(verifyFileUrl(path, { expires: [q.expires], token: q.token }, secret, 0), 'invalid');
  assert.equal(verifyFileUrl(path, { expires: Number(q.expires), token: q.token }, secret, 0), 'invalid');
});

test('signFileUrl refuses bad input', () => {
  assert.throws(() => signFileUrl(path, 1.5, secret), TypeError);
  assert.throws(() => signFileUrl(`${path}?a=1`, exp, secret), TypeError);
  assert.throws(() => signFileUrl(path, exp, ''), TypeError);
});
