// Credits as the use cases see them: reserve the most a request can cost before work, then
// settle to the actual cost or refund. When credits are off (the self-hosting default) every
// reserve returns null and settling/refunding null does nothing, so callers need no branches.
import type { CreditRepository, CreditSettlement, TrainingTier } from '../store/types.js';
import { DEFAULT_PRICES, settleStudio, studioCost, trainingCost, type Prices, type StudioKind } from './prices.js';

/** A held amount. Plain JSON: an async job can carry it in its payload to the worker that settles it. */
export interface Reservation {
  id: string;
  accountId: string;
  /** What was reserved for: a studio kind, or 'training'. */
  kind: StudioKind | 'training';
  amountMicros: number;
  reference: string;
}

export interface CreditService {
  readonly enabled: boolean;
  readonly prices: Prices;
  /**
   * Holds numOutputs × the identity price when the request has candidate profiles, else × the
   * plain price. Throws InsufficientCredit (ApiError 402) when short. null when credits are off.
   */
  reserveStudio(accountId: string, kind: StudioKind, numOutputs: number, hasCandidates: boolean, reference: string): Promise<Reservation | null>;
  /** Holds the tier's training price. Throws InsufficientCredit when short. null when credits are off. */
  reserveTraining(accountId: string, tier: TrainingTier, reference: string): Promise<Reservation | null>;
  /** Charges actualMicros (capped at the reservation) and returns the rest. Idempotent. null in → null out. */
  settle(reservation: Pick<Reservation, 'id'> | null, actualMicros: number): Promise<CreditSettlement | null>;
  /** settle() with the actual cost of a studio result: identity price for outputs where a profile was recognised. */
  settleStudio(
    reservation: Pick<Reservation, 'id' | 'kind'> | null,
    outputs: { outputsWithIdentity: number; outputsWithout: number },
  ): Promise<CreditSettlement | null>;
  /** Returns the whole reservation (failure, 504 timeout, CONTENT_MODERATION). Idempotent. null in → null out. */
  refund(reservation: Pick<Reservation, 'id'> | null): Promise<CreditSettlement | null>;
  /**
   * Runs `work` under a reservation: refunds if it throws (then rethrows the work's error),
   * otherwise settles to actualOf(result). With a null reservation it just runs `work`.
   */
  withReservation<T>(reservation: Pick<Reservation, 'id'> | null, work: () => Promise<T>, actualOf: (result: T) => number): Promise<T>;
}

export function createCreditService(deps: { store: { credits: CreditRepository }; enabled: boolean; prices?: Prices }): CreditService {
  const { enabled } = deps;
  const prices = deps.prices ?? DEFAULT_PRICES;
  const credits = deps.store.credits;

  async function hold(accountId: string, kind: Reservation['kind'], amountMicros: number, reference: string): Promise<Reservation> {
    const id = await credits.reserve(accountId, amountMicros, reference);
    return { id, accountId, kind, amountMicros, reference };
  }

  // settle/refund act on any reservation they are given, even if credits were switched off
  // since it was made: held money must always be released.
  const service: CreditService = {
    enabled,
    prices,
    async reserveStudio(accountId, kind, numOutputs, hasCandidates, reference) {
      if (!enabled) return null;
      return hold(accountId, kind, studioCost({ kind, outputs: numOutputs, withIdentity: hasCandidates }, prices), reference);
    },
    async reserveTraining(accountId, tier, reference) {
      if (!enabled) return null;
      return hold(accountId, 'training', trainingCost(tier, prices), reference);
    },
    async settle(reservation, actualMicros) {
      if (!reservation) return null;
      return credits.settle(reservation.id, actualMicros);
    },
    async settleStudio(reservation, outputs) {
      if (!reservation) return null;
      if (reservation.kind === 'training') throw new TypeError('settleStudio needs a studio reservation, got a training one');
      return credits.settle(reservation.id, settleStudio({ kind: reservation.kind, ...outputs }, prices));
    },
    async refund(reservation) {
      if (!reservation) return null;
      return credits.refund(reservation.id);
    },
    async withReservation(reservation, work, actualOf) {
      let result: Awaited<ReturnType<typeof work>>;
      try {
        result = await work();
      } catch (err) {
        await refundQuietly(reservation);
        throw err;
      }
      if (reservation) await credits.settle(reservation.id, actualOf(result));
      return result;
    },
  };

  // The work's error is what the caller must see; a failing refund is reported alongside it.
  async function refundQuietly(reservation: Pick<Reservation, 'id'> | null): Promise<void> {
    if (!reservation) return;
    try {
      await credits.refund(reservation.id);
    } catch (refundErr) {
      process.emitWarning(`credit refund of ${reservation.id} failed: ${String((refundErr as Error)?.message ?? refundErr)}`);
    }
  }

  return service;
}
