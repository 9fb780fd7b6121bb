// The identity loop: generate, measure each candidate, and give every output that misses a
// required subject another attempt (a repair edit of a look-alike, or a new generation) until
// enough pass or the budget runs out; then return the best candidates and say which passed.
// The base model and the measuring are passed in, so the loop runs the same against real
// providers, the stand-ins of the tests and the benchmark's simulated model.
import { ApiError } from '../errors.js';
import { planRound } from './attempt-policy.js';
import { bestCandidates, type Verdict } from './identity-verdict.js';

export interface LoopPorts {
  /** One base-model call asking for `n` candidates. */
  generate(n: number, signal: AbortSignal): Promise<Buffer[]>;
  /** One edit call that fixes the faces named in `repair` of `image`; absent when the model cannot edit. */
  repair?: (image: Buffer, repair: NonNullable<Verdict['repair']>, signal: AbortSignal) => Promise<Buffer>;
  /** Asked before repairs are planned for a round that has look-alikes (e.g. "do repairs pay for this model?"). */
  shouldRepair?: () => boolean;
  /** Measures a candidate; null when no subject is required (nothing to measure). */
  judge: ((image: Buffer) => Promise<Verdict>) | null;
}

export interface LoopOptions {
  outputs: number;
  /** Attempts per output (1 = no retry). */
  budget: number;
  perCall: number;
  signal: AbortSignal;
}

export interface LoopOutput {
  image: Buffer;
  /** Null when nothing was required. */
  verdict: Verdict | null;
  /** Attempts spent on this output: the round it came from if it passed, else all rounds run. */
  attempts: number;
}

export interface LoopResult {
  outputs: LoopOutput[];
  /** Base-model calls made (generations and repairs). */
  calls: number;
  repairs: number;
  rounds: number;
  /** Every candidate judged, in the order made: whether a repair made it and whether it passed. */
  candidates: Array<{ fromRepair: boolean; passed: boolean }>;
}

interface Pooled {
  image: Buffer;
  verdict: Verdict | null;
  round: number;
  /** Made by a repair, or already repaired: never repaired (again). */
  repaired: boolean;
  fromRepair: boolean;
}

export async function runIdentityLoop(ports: LoopPorts, opts: LoopOptions): Promise<LoopResult> {
  const { signal } = opts;
  const identity = ports.judge !== null;
  // Without identity the rounds only make up for a call that returned fewer images than asked.
  const budget = Math.max(1, opts.budget);
  const pool: Pooled[] = [];
  let calls = 0;
  let repairs = 0;
  let rounds = 0;
  let stopped: unknown = null;

  const add = async (image: Buffer, round: number, repaired: boolean) => {
    const verdict = ports.judge ? await ports.judge(image) : null;
    pool.push({ image, verdict, round, repaired, fromRepair: repaired });
  };

  for (let round = 1; round <= budget && stopped === null; round++) {
    signal.throwIfAborted();
    const passed = pool.filter((c) => c.verdict?.passed).length;
    const need = identity ? opts.outputs - passed : opts.outputs - pool.length;
    if (need <= 0) break;
    // Look-alikes from earlier rounds, best first, each repaired at most once.
    const repairable = pool
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => !c.repaired && !c.verdict?.passed && c.verdict?.repair)
      .sort((a, b) => b.c.verdict!.minSimilarity - a.c.verdict!.minSimilarity)
      .map(({ i }) => i);
    const canRepair = Boolean(ports.repair) && repairable.length > 0 && (ports.shouldRepair?.() ?? true);
    const plan = planRound({ need, round, perCall: opts.perCall, identity, repairable, canRepair });
    rounds = round;
    const work: Array<Promise<void>> = [];
    for (const id of plan.repairs) {
      const c = pool[id];
      c.repaired = true; // a failed repair is not tried again
      calls++;
      repairs++;
      work.push(ports.repair!(c.image, c.verdict!.repair!, signal).then((img) => add(img, round, true)));
    }
    for (const n of plan.calls) {
      calls++;
      work.push(ports.generate(n, signal).then(async (imgs) => {
        if (imgs.length === 0) throw new ApiError(502, 'INTERNAL_ERROR', 'The base model returned no image.');
        for (const img of imgs) await add(img, round, false);
      }));
    }
    const settled = await Promise.allSettled(work);
    signal.throwIfAborted();
    for (const s of settled) {
      if (s.status === 'rejected' && stopped === null) stopped = s.reason;
    }
    // A refusal or a failed call mid-loop ends the loop (retrying a refused request is
    // pointless); what was made so far is still returned if it is enough. Anything that is not
    // a provider's answer (a crashed worker, a bug) fails the request.
    if (stopped !== null && !(stopped instanceof ApiError)) throw stopped;
  }
  if (pool.length < opts.outputs) {
    if (stopped !== null) throw stopped;
    throw new ApiError(502, 'INTERNAL_ERROR', 'The base model returned fewer images than asked for.');
  }

  const chosen = identity ? bestCandidates(pool.map((c) => c.verdict!), opts.outputs) : pool.slice(0, opts.outputs).map((_, i) => i);
  return {
    outputs: chosen.map((i) => {
      const c = pool[i];
      return { image: c.image, verdict: c.verdict, attempts: c.verdict && !c.verdict.passed ? rounds : c.round };
    }),
    calls,
    repairs,
    rounds,
    candidates: pool.filter((c) => c.verdict).map((c) => ({ fromRepair: c.fromRepair, passed: c.verdict!.passed })),
  };
}
