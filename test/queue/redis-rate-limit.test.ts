// The rate limit counted in Redis across API nodes (distributed pass only): each "node" here
// is its own limiter on its own Redis connection, as two processes would be.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createRedisRateLimiter } from '../../src/queue/redis-rate-limit.js';
import { DISTRIBUTED, REDIS_URL, createRedisPrefix } from '../support/backends.js';

const opts = { skip: DISTRIBUTED ? false : 'distributed pass only (Redis)' };
const prefix = createRedisPrefix();
const clients: Redis[] = [];
after(async () => {
  for (const c of clients) c.disconnect();
  if (DISTRIBUTED) await prefix.cleanup();
});
const connect = () => {
  const c = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  clients.push(c);
  return c;
};

test('two nodes share one window per key: concurrent requests on both get exactly the limit', opts, async () => {
  const a = createRedisRateLimiter(connect(), 25, prefix.prefix);
  const b = createRedisRateLimiter(connect(), 25, prefix.prefix);
  const waits = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).take('key_shared', Date.now())));
  assert.equal(waits.filter((w) => w === 0).length, 25);
  for (const w of waits.filter((w) => w > 0)) assert.ok(w <= 60_000, `Retry-After within the window (${w} ms)`);
  // Another key has its own budget.
  assert.equal(await a.take('key_other', Date.now()), 0);
});

test("a node's own clock does not move the window (Redis's clock counts)", opts, async () => {
  const ahead = createRedisRateLimiter(connect(), 3, prefix.prefix);
  const behind = createRedisRateLimiter(connect(), 3, prefix.prefix);
  assert.equal(await behind.take('key_clock', Date.now() - 3_600_000), 0);
  assert.equal(await behind.take('key_clock', Date.now() - 3_600_000), 0);
  // A node an hour ahead would have trimmed the other node's requests had its clock counted.
  assert.equal(await ahead.take('key_clock', Date.now() + 3_600_000), 0);
  assert.ok((await ahead.take('key_clock', Date.now() + 3_600_000)) > 0, 'the fourth request in the minute is refused');
});

test('Redis unreachable: requests are let through and the failure is reported, not thrown', opts, async () => {
  const dead = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
  dead.on('error', () => {});
  clients.push(dead);
  const errors: unknown[] = [];
  const limiter = createRedisRateLimiter(dead, 1, prefix.prefix, { onError: (e) => errors.push(e) });
  assert.equal(await limiter.take('key_dead', Date.now()), 0);
  assert.equal(await limiter.take('key_dead', Date.now()), 0, 'over the limit, but nothing could count it');
  assert.equal(errors.length, 1, 'reported once, not per request');
});
