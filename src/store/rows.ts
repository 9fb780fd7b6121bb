// Conversions between the portable row shapes (schema.ts) and records (types.ts). Pure.
// Postgres returns bigint columns as strings unless told otherwise; SQLite as numbers.

export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
export const toJson = (v: unknown): string => JSON.stringify(v ?? null);
export const fromJson = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

/** A unique or primary-key violation on SQLite or Postgres (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * A clock that never returns the same value twice in this process (listings sort on it, and two
 * rows created in one millisecond must still have an order).
 */
export function strictlyIncreasing(now: () => number): () => number {
  let last = 0;
  return () => {
    last = Math.max(now(), last + 1);
    return last;
  };
}
