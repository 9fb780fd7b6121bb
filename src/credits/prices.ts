// Prices of the operations that charge credit, and the cost arithmetic. Pure: the
// environment is passed in, nothing is read or written here.
// Configuration is in US dollars (LIKENESS_PRICES); everything computed is integer micro-dollars.
import type { TrainingTier } from '../store/types.js';
import { dollarsToMicros, MAX_MICROS, MICROS_PER_DOLLAR } from './money.js';

export type StudioKind = 'edit' | 'generate' | 'enhance' | 'remix';
export const STUDIO_KINDS: readonly StudioKind[] = ['edit', 'generate', 'enhance', 'remix'];

export type PriceKey =
  | `profile.${TrainingTier}`
  | StudioKind
  | `${StudioKind}.identity`;

/** Micro-dollars per output image (studio) or per profile (training). */
export type Prices = Readonly<Record<PriceKey, number>>;

/** Defaults in dollars (phota-api.md §8; edit/generate use the resellers' per-image level). */
export const DEFAULT_PRICES_USD: Readonly<Record<PriceKey, number>> = {
  'profile.standard': 2.9,
  'profile.fast': 1.49,
  enhance: 0.12,
  'enhance.identity': 0.15,
  remix: 0.12,
  'remix.identity': 0.15,
  edit: 0.1,
  'edit.identity': 0.13,
  generate: 0.1,
  'generate.identity': 0.13,
};

export const PRICE_KEYS = Object.keys(DEFAULT_PRICES_USD) as PriceKey[];

const toMicros = (usd: Readonly<Record<PriceKey, number>>): Prices =>
  Object.freeze(Object.fromEntries(PRICE_KEYS.map((k) => [k, dollarsToMicros(usd[k])])) as Record<PriceKey, number>);

export const DEFAULT_PRICES: Prices = toMicros(DEFAULT_PRICES_USD);

/** Highest price per unit accepted from configuration, in dollars. */
const MAX_PRICE_USD = 10_000;

/**
 * Prices from `LIKENESS_PRICES` (a JSON object of dollar amounts overriding some or all of
 * the defaults). Unset or empty → the defaults. Throws an Error naming the variable on bad
 * JSON, a non-object, an unknown key, or a value that is not a number from 0 to 10,000.
 */
export function pricesFromEnv(env: Record<string, string | undefined>): Prices {
  const raw = env.LIKENESS_PRICES;
  if (raw === undefined || raw.trim() === '') return DEFAULT_PRICES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`LIKENESS_PRICES is not valid JSON (${(err as Error).message}): ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`LIKENESS_PRICES must be a JSON object of dollar prices, e.g. {"edit": 0.10}, got: ${raw}`);
  }
  const usd: Record<PriceKey, number> = { ...DEFAULT_PRICES_USD };
  for (const [key, value] of Object.entries(parsed)) {
    if (!(PRICE_KEYS as string[]).includes(key)) {
      throw new Error(`LIKENESS_PRICES has an unknown price "${key}"; known prices: ${PRICE_KEYS.join(', ')}`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_PRICE_USD) {
      throw new Error(`LIKENESS_PRICES["${key}"] must be a number of dollars from 0 to ${MAX_PRICE_USD}, got ${JSON.stringify(value)}`);
    }
    usd[key as PriceKey] = value;
  }
  return toMicros(usd);
}

/**
 * Whether credits are on: `LIKENESS_CREDITS` = 1/true/yes/on (off by default, decisions.md #29).
 * Throws an Error naming the variable on anything else.
 */
export function creditsEnabledFromEnv(env: Record<string, string | undefined>): boolean {
  const raw = (env.LIKENESS_CREDITS ?? '').trim().toLowerCase();
  if (raw === '' || ['0', 'false', 'no', 'off'].includes(raw)) return false;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  throw new Error(`LIKENESS_CREDITS must be 1/0 (or true/false), got "${env.LIKENESS_CREDITS}"`);
}

/** Both credit settings at once; throws like the two functions it calls. */
export function creditsConfigFromEnv(env: Record<string, string | undefined>): { enabled: boolean; prices: Prices } {
  return { enabled: creditsEnabledFromEnv(env), prices: pricesFromEnv(env) };
}

function count(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  return v;
}

function checked(micros: number): number {
  if (micros > MAX_MICROS) throw new RangeError(`cost out of range: ${micros / MICROS_PER_DOLLAR} dollars`);
  return micros;
}

/** Price of one output image of `kind`, with or without identity. */
export function unitPrice(kind: StudioKind, withIdentity: boolean, prices: Prices = DEFAULT_PRICES): number {
  const p = prices[(withIdentity ? `${kind}.identity` : kind) as PriceKey];
  if (p === undefined) throw new RangeError(`unknown studio operation: ${String(kind)}`);
  return p;
}

/**
 * The most a studio request can cost, reserved before work: every output at the identity
 * price when the request has candidate profiles, else at the plain price.
 */
export function studioCost(
  req: { kind: StudioKind; outputs: number; withIdentity: boolean },
  prices: Prices = DEFAULT_PRICES,
): number {
  return checked(count('outputs', req.outputs) * unitPrice(req.kind, req.withIdentity, prices));
}

/** Price of training one profile at `tier`. */
export function trainingCost(tier: TrainingTier, prices: Prices = DEFAULT_PRICES): number {
  const p = prices[`profile.${tier}`];
  if (p === undefined) throw new RangeError(`unknown training tier: ${String(tier)}`);
  return p;
}

/**
 * The actual cost of a finished studio request: outputs in which a profile was recognised
 * pay the identity price, the others the plain price.
 */
export function settleStudio(
  res: { kind: StudioKind; outputsWithIdentity: number; outputsWithout: number },
  prices: Prices = DEFAULT_PRICES,
): number {
  return checked(
    count('outputsWithIdentity', res.outputsWithIdentity) * unitPrice(res.kind, true, prices) +
      count('outputsWithout', res.outputsWithout) * unitPrice(res.kind, false, prices),
  );
}

/**
 * Splits `outputs` images into those where some profile was recognised and the rest, from
 * the image indexes of the recognised faces (known_subjects.matches[].image_index).
 * Indexes outside 0..outputs-1 are ignored.
 */
export function identityOutputs(outputs: number, matchedImageIndexes: Iterable<number>): { outputsWithIdentity: number; outputsWithout: number } {
  count('outputs', outputs);
  const seen = new Set<number>();
  for (const i of matchedImageIndexes) if (Number.isInteger(i) && i >= 0 && i < outputs) seen.add(i);
  return { outputsWithIdentity: seen.size, outputsWithout: outputs - seen.size };
}
