// Money as integer micro-dollars (1 USD = 1,000,000): exact sums, no floats in the database.
// Pure: no I/O.

export const MICROS_PER_DOLLAR = 1_000_000;

/** Largest amount accepted anywhere (one billion dollars); keeps every sum a safe integer. */
export const MAX_MICROS = 1_000_000_000 * MICROS_PER_DOLLAR;

/** Dollars (a finite number) → micro-dollars, rounded to the nearest micro (0.13 → 130000). */
export function dollarsToMicros(dollars: number): number {
  if (!Number.isFinite(dollars)) throw new RangeError(`not a finite amount of dollars: ${dollars}`);
  const micros = Math.round(dollars * MICROS_PER_DOLLAR);
  if (Math.abs(micros) > MAX_MICROS) throw new RangeError(`amount out of range: ${dollars}`);
  return micros === 0 ? 0 : micros; // no -0
}

/**
 * Parses a decimal dollar string typed by a person ("5", "12.50", "$0.25", "0.000001").
 * Exact (no float rounding): at most 6 decimals. Returns micro-dollars, or null if malformed.
 */
export function parseDollars(text: string): number | null {
  const m = /^\s*(-)?\$?(\d{0,10})(?:\.(\d{0,6}))?\s*$/.exec(text);
  if (!m || (!m[2] && !m[3])) return null;
  const whole = Number(m[2] || '0');
  const frac = Number((m[3] ?? '').padEnd(6, '0'));
  const micros = whole * MICROS_PER_DOLLAR + frac;
  if (micros > MAX_MICROS) return null;
  return m[1] && micros !== 0 ? -micros : micros;
}

/** Micro-dollars → "$1.234567" trimmed to at least cents: 2900000 → "$2.90", 1 → "$0.000001". */
export function formatMicros(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(micros));
  const whole = Math.floor(abs / MICROS_PER_DOLLAR);
  let frac = String(abs % MICROS_PER_DOLLAR).padStart(6, '0');
  while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1);
  return `${sign}$${whole}.${frac}`;
}

/** True for an amount the ledger accepts: a safe, non-negative integer within MAX_MICROS. */
export function isValidMicros(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_MICROS;
}
