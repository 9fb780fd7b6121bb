// Pure capability checks: a request the chosen base model cannot serve fails fast with
// the contract's 400 codes, before any image work or provider call.
import { ApiError } from '../errors.js';
import type { ModelCapabilities, Quality, Resolution, StudioOperation } from './types.js';

export interface CapabilityRequest {
  operation: StudioOperation;
  resolution?: Resolution | null;
  /** As sent by the client: undefined/null = not sent. */
  quality?: Quality | null;
}

/** Throws ApiError 400 UNSUPPORTED_OPERATION / UNSUPPORTED_RESOLUTION / UNSUPPORTED_QUALITY. */
export function checkCapabilities(caps: ModelCapabilities, req: CapabilityRequest): void {
  if (!caps.operations.includes(req.operation)) {
    throw new ApiError(
      400,
      'UNSUPPORTED_OPERATION',
      `Base model ${caps.id} does not support /${req.operation}; it supports ${caps.operations.map((o) => `/${o}`).join(', ')}.`,
    );
  }
  if (req.resolution && !caps.resolutions.includes(req.resolution)) {
    throw new ApiError(
      400,
      'UNSUPPORTED_RESOLUTION',
      `Base model ${caps.id} does not support resolution ${req.resolution}; supported: ${caps.resolutions.join(', ')}.`,
    );
  }
  if (req.quality !== undefined && req.quality !== null) {
    if (!caps.qualities) {
      throw new ApiError(400, 'UNSUPPORTED_QUALITY', `quality is only accepted with base_model gpt-image-2, not ${caps.id}.`);
    }
    if (!caps.qualities.includes(req.quality)) {
      throw new ApiError(
        400,
        'UNSUPPORTED_QUALITY',
        `Base model ${caps.id} does not support quality ${req.quality}; supported: ${caps.qualities.join(', ')}.`,
      );
    }
  }
}

/** How many provider calls are needed for `wanted` candidates given the per-call limit. */
export function callsNeeded(caps: ModelCapabilities, wanted: number): number[] {
  const per = Math.max(1, caps.maxOutputsPerCall);
  const calls: number[] = [];
  for (let left = wanted; left > 0; left -= per) calls.push(Math.min(per, left));
  return calls;
}
