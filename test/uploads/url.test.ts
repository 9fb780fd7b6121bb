// Upload URLs are ours only when our key signed them; look-alikes stay ordinary URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUploadUrl, signUploadUrl } from '../../src/uploads/url.js';

const id = 'upl_' + 'a'.repeat(24);

test('a URL we signed is an upload on any host, until it expires', () => {
  const url = signUploadUrl('https://likeness.example.com', id, 'jpg', 2_000_000_000_000, 'secret');
  assert.deepEqual(checkUploadUrl(url, 'secret', 1_000_000_000_000), { kind: 'ok', id });
  const moved = url.replace('https://likeness.example.com', 'http://10.0.0.5:8080');
  assert.deepEqual(checkUploadUrl(moved, 'secret', 1_000_000_000_000), { kind: 'ok', id });
  assert.deepEqual(checkUploadUrl(url, 'secret', 2_000_000_000_000), { kind: 'expired', id });
});

test('another key, a tampered id or expiry, other paths and non-URLs are not uploads', () => {
  const url = signUploadUrl('http://h', id, 'png', 2_000_000_000_000, 'secret');
  const now = 1_000_000_000_000;
  assert.equal(checkUploadUrl(url, 'other-secret', now).kind, 'not_upload');
  assert.equal(checkUploadUrl(url.replace('aaaa', 'aaab'), 'secret', now).kind, 'not_upload');
  assert.equal(checkUploadUrl(url.replace('expires=2000000000', 'expires=2000000001'), 'secret', now).kind, 'not_upload');
  assert.equal(checkUploadUrl(url.replace('/uploads/', '/files/'), 'secret', now).kind, 'not_upload');
  assert.equal(checkUploadUrl('not a url', 'secret', now).kind, 'not_upload');
  assert.equal(checkUploadUrl('http://h/v1/phota/uploads/' + id + '.png', 'secret', now).kind, 'not_upload');
});
