// The rate limiter's window counted in Redis, so every API node shares one count per key.
// One sorted set per key (scores = request times); one Lua script trims, counts and records
// atomically, so two nodes never both take the last slot. Times are Redis's own clock (TIME),
// not each node's: a node whose clock runs ahead must not trim the window for every node.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RateLimiter } from '../http/rate-limit.js';

const SCRIPT = `
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - 60000)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + 60000 - now)
end
redis.call('ZADD', key, now, ARGV[2])
redis.call('PEXPIRE', key, 61000)
return 0
`;

export interface RedisRateLimiterOptions {
  /** Told when Redis cannot be reached (at most every 10 s); the request is then let through. */
  onError?: (err: unknown) => void;
}

const ERROR_REPORT_MS = 10_000;

export function createRedisRateLimiter(redis: Redis, perMinute: number, prefix: string, opts: RedisRateLimiterOptions = {}): RateLimiter {
  if (perMinute <= 0) return { take: async () => 0 };
  let reportedAt = -Infinity;
  return {
    // `now` is unused: the window runs on Redis's clock (above).
    async take(key) {
      const member = randomBytes(9).toString('hex');
      try {
        const wait = await redis.eval(SCRIPT, 1, `${prefix}:ratelimit:${key}`, String(perMinute), member);
        return Number(wait);
      } catch (err) {
        // Fail open: a limiter that cannot count must not turn every request (status polls
        // that need only the database) into a 500.
        const t = performance.now();
        if (t - reportedAt >= ERROR_REPORT_MS) {
          reportedAt = t;
          opts.onError?.(err);
        }
        return 0;
      }
    },
  };
}
