// The 402 thrown when a prepaid balance cannot cover a charge. It is an ApiError, so the HTTP
// layer maps it like any other; the numbers are kept for callers and tests.
import { ApiError } from '../errors.js';
import { formatMicros } from './money.js';

export class InsufficientCredit extends ApiError {
  constructor(
    readonly balanceMicros: number,
    readonly costMicros: number,
  ) {
    super(
      402,
      'INSUFFICIENT_CREDIT',
      `Insufficient prepaid credit balance: this request costs up to ${formatMicros(costMicros)}, ` +
        `the balance is ${formatMicros(balanceMicros)}.`,
    );
    this.name = 'InsufficientCredit';
  }
}
