// Retry delays, pure.

/** 1 s, 4 s, 16 s, 64 s, ... after the 1st, 2nd, 3rd, ... failed attempt, capped. */
export function exponentialBackoff(baseMs = 1000, factor = 4, maxMs = 60 * 60 * 1000): (attempt: number) => number {
  return (attempt) => Math.min(maxMs, baseMs * factor ** Math.max(0, attempt - 1));
}
