// The rate limiter's window counted in Redis, so every API node shares one count per key.
// One sorted set per key (scores = request times); one Lua script trims, counts and records
// atomically, so two nodes never both take the last slot.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RateLimiter } from '../http/rate-limit.js';

const SCRIPT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - 60000)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + 60000 - now)
end
redis.call('ZADD', key, now, ARGV[3])
redis.call('PEXPIRE', key, 61000)
return 0
`;

export function createRedisRateLimiter(redis: Redis, perMinute: number, prefix: string): RateLimiter {
  if (perMinute <= 0) return { take: async () => 0 };
  return {
    async take(key, now) {
      const member = `${now}-${randomBytes(6).toString('hex')}`;
      const wait = await redis.eval(SCRIPT, 1, `${prefix}:ratelimit:${key}`, String(now), String(perMinute), member);
      return Number(wait);
    },
  };
}
