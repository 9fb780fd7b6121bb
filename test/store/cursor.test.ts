import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCursor, encodeCursor } from '../../src/store/cursor.js';

test('cursor round-trips', () => {
  const p = { createdAt: 1763700000123, id: 'abc123' };
  const c = encodeCursor(p);
  assert.match(c, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCursor(c), p);
});

test('garbage cursors are rejected', () => {
  for (const bad of ['', 'not a cursor!', 'abc', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1.5,"x"]').toString('base64url'), Buffer.from('[1,""]').toString('base64url'), Buffer.from('["1","x"]').toString('base64url')]) {
    assert.equal(decodeCursor(bad), undefined, bad);
  }
});
