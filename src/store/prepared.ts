// Queries compiled once and run many times: the hot read paths (API key lookup, profile status
// polls) skip Kysely's per-call query building and compilation. Parameters are placeholders
// (`param(i)`) that are swapped for the call's values in the compiled parameter list, so the
// SQL text stays the same on every call and the driver's statement cache (SQLite) or the
// server's plan cache (Postgres) is hit. Dialect-independent: Kysely writes the placeholders.
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

const SENTINEL = '\u0000likeness-param:';

/** SQL texts of prepared queries: the Postgres adapter runs these as named (server-prepared) statements. */
export const PREPARED_SQL = new Set<string>();

/** The i-th parameter of a prepared query (use it where the query takes a value). */
export const param = (i: number): string => `${SENTINEL}${i}`;

export interface Prepared<R> {
  /** Runs the query with `values[i]` in place of `param(i)`; resolves to its rows. */
  all(...values: unknown[]): Promise<R[]>;
  first(...values: unknown[]): Promise<R | undefined>;
}

export function prepare<DB, R>(db: Kysely<DB>, build: (db: Kysely<DB>) => Compilable<R>): Prepared<R> {
  const compiled = build(db).compile();
  PREPARED_SQL.add(compiled.sql);
  const slots = compiled.parameters.map((p) => (typeof p === 'string' && p.startsWith(SENTINEL) ? Number(p.slice(SENTINEL.length)) : -1));
  const fixed = compiled.parameters;
  const all = async (...values: unknown[]): Promise<R[]> => {
    const parameters = slots.map((s, i) => (s >= 0 ? values[s] : fixed[i]));
    const res = await db.executeQuery<R>(CompiledQuery.raw(compiled.sql, parameters));
    return res.rows;
  };
  return {
    all,
    async first(...values) {
      return (await all(...values))[0];
    },
  };
}
