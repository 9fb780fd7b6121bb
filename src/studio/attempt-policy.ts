// How many base-model attempts an output may take and what each round of the identity loop
// asks for (pure). A round gives every output still missing one new candidate: a repair edit
// of a look-alike candidate where the model can edit, else a new generation. Models that
// return several images per call are asked to fill the call (over-generation, then ranking).

/** The most attempts a request may be given, whatever the configuration says. */
export const MAX_IDENTITY_ATTEMPTS = 8;

/**
 * Attempts per output: the configured budget, lowered (never raised) by the request's
 * `identity_attempts`. A request cannot buy more base-model calls than the operator allows.
 */
export function attemptBudget(configured: number, requested: number | null | undefined): number {
  const cap = Math.max(1, Math.min(MAX_IDENTITY_ATTEMPTS, Math.floor(configured)));
  if (requested === null || requested === undefined) return cap;
  return Math.max(1, Math.min(cap, Math.floor(requested)));
}

export interface RoundInput {
  /** Outputs still without a passing candidate. */
  need: number;
  /** 1-based round number. */
  round: number;
  /** Candidates one call may return. */
  perCall: number;
  /** Whether identity is checked at all (no required subject: a single plain round). */
  identity: boolean;
  /** Look-alike candidates not yet repaired, best first (their ids). */
  repairable: readonly number[];
  /** Whether the model can take an edit with the candidate plus reference photos. */
  canRepair: boolean;
}

export interface RoundPlan {
  /** Candidate ids to repair with one edit call each. */
  repairs: number[];
  /** `n` of each generation call of this round. */
  calls: number[];
}

/** Largest n asked of one call when over-generating (more candidates add little to ranking). */
const OVERGENERATE_CAP = 4;

export function planRound(r: RoundInput): RoundPlan {
  if (r.need <= 0) return { repairs: [], calls: [] };
  const repairs = r.canRepair && r.identity ? r.repairable.slice(0, r.need) : [];
  const fresh = r.need - repairs.length;
  const perCall = Math.max(1, r.perCall);
  // Fill the call when identity matters and the model returns several images per call.
  const wanted = fresh > 0 && r.identity && perCall > 1 ? Math.max(fresh, Math.min(perCall, OVERGENERATE_CAP)) : fresh;
  const calls: number[] = [];
  for (let left = wanted; left > 0; left -= perCall) calls.push(Math.min(perCall, left));
  return { repairs, calls };
}
