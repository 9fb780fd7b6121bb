// Per-key sliding one-minute window (decisions.md #30). The port is async so the count can live
// in Redis and hold across nodes (src/queue/redis-rate-limit.ts); this in-memory one is the
// embedded default. Pure: time comes in as an argument.

export interface RateLimiter {
  /** Records a request; resolves to 0 when allowed, else milliseconds until one is allowed. */
  take(key: string, now: number): Promise<number>;
}

export function createRateLimiter(perMinute: number): RateLimiter {
  if (perMinute <= 0) return { take: async () => 0 };
  const hits = new Map<string, number[]>();
  return {
    async take(key, now) {
      const windowStart = now - 60_000;
      const list = (hits.get(key) ?? []).filter((t) => t > windowStart);
      if (list.length >= perMinute) {
        hits.set(key, list);
        return list[0] + 60_000 - now;
      }
      list.push(now);
      hits.set(key, list);
      return 0;
    },
  };
}
