import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { computeSignature, parseSignatureHeader, signPayload, verifySignature } from '../../src/jobs/signing.js';

const body = JSON.stringify({ job_id: 'job_1', status: 'SUCCEEDED', result: { images: [], download_urls: ['/x'] } });
const t = 1_790_000_000;

test('header is t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
  const expected = createHmac('sha256', 'whsec_a').update(`${t}.${body}`).digest('hex');
  assert.equal(signPayload(body, 'whsec_a', t), `t=${t},v1=${expected}`);
  assert.equal(computeSignature(body, 'whsec_a', t), expected);
});

test('round trip verifies within tolerance, on both sides of now', () => {
  const h = signPayload(body, 'whsec_a', t);
  assert.equal(verifySignature(h, body, ['whsec_a'], t), true);
  assert.equal(verifySignature(h, body, ['whsec_a'], t + 300), true);
  assert.equal(verifySignature(h, body, ['whsec_a'], t - 300), true);
});

test('rejects old and far-future timestamps', () => {
  const h = signPayload(body, 'whsec_a', t);
  assert.equal(verifySignature(h, body, ['whsec_a'], t + 301), false);
  assert.equal(verifySignature(h, body, ['whsec_a'], t - 301), false);
  assert.equal(verifySignature(h, body, ['whsec_a'], t + 3600, 7200), true, 'custom tolerance');
});

test('rejects tampered body, timestamp, signature and wrong secret', () => {
  const h = signPayload(body, 'whsec_a', t);
  assert.equal(verifySignature(h, body.replace('SUCCEEDED', 'FAILED'), ['whsec_a'], t), false);
  assert.equal(verifySignature(h, body + ' ', ['whsec_a'], t), false);
  assert.equal(verifySignature(h.replace(`t=${t}`, `t=${t + 1}`), body, ['whsec_a'], t), false);
  const sig = h.split('v1=')[1];
  const flipped = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
  assert.equal(verifySignature(`t=${t},v1=${flipped}`, body, ['whsec_a'], t), false);
  assert.equal(verifySignature(h, body, ['whsec_b'], t), false);
  assert.equal(verifySignature(h, body, [], t), false);
});

test('malformed headers are rejected without throwing', () => {
  for (const h of [undefined, null, '', 'garbage', `t=${t}`, 'v1=abc', `t=x,v1=${'0'.repeat(64)}`, `t=${t},t=${t},v1=${'0'.repeat(64)}`, `t=${t},v1=zz`]) {
    assert.equal(verifySignature(h as string, body, ['whsec_a'], t), false, String(h));
  }
  assert.equal(parseSignatureHeader('t=5,v0=x,v1=ab,v1=cd')?.v1.length, 2);
});

test('rotation: one v1 per active secret, each secret alone verifies', () => {
  const h = signPayload(body, ['whsec_new', 'whsec_old'], t);
  const parsed = parseSignatureHeader(h)!;
  assert.equal(parsed.t, t);
  assert.deepEqual(parsed.v1, [computeSignature(body, 'whsec_new', t), computeSignature(body, 'whsec_old', t)]);
  assert.equal(verifySignature(h, body, ['whsec_old'], t), true);
  assert.equal(verifySignature(h, body, ['whsec_new'], t), true);
  assert.equal(verifySignature(h, body, ['whsec_other', 'whsec_new'], t), true);
  assert.equal(verifySignature(h, body, ['whsec_other'], t), false);
});

test('bad inputs to signPayload throw', () => {
  assert.throws(() => signPayload(body, [], t), TypeError);
  assert.throws(() => signPayload(body, 's', 1.5), TypeError);
});

test('non-ASCII bodies are signed as UTF-8', () => {
  const b = JSON.stringify({ message: 'Zoë 👋' });
  const expected = createHmac('sha256', 'k').update(Buffer.from(`${t}.${b}`, 'utf8')).digest('hex');
  assert.equal(signPayload(b, 'k', t), `t=${t},v1=${expected}`);
});
