// The one error type every layer throws. The HTTP layer turns it into the contract's
// `{detail, code, request_id}` body with `status`; anything else becomes a 500 INTERNAL_ERROR.

export type ErrorCode =
  // 400
  | 'INVALID_REQUEST'
  | 'CONTENT_MODERATION'
  | 'UNSUPPORTED_RESOLUTION'
  | 'UNSUPPORTED_QUALITY'
  | 'UNSUPPORTED_OPERATION'
  | 'IMAGE_UNREADABLE'
  | 'IMAGE_FETCH_FAILED'
  | 'IMAGE_TOO_LARGE'
  | 'NO_SUBJECT_DETECTED'
  // 401 / 402 / 403
  | 'API_KEY_INVALID'
  | 'INSUFFICIENT_CREDIT'
  | 'API_KEY_MISSING'
  | 'FORBIDDEN'
  // 404
  | 'NOT_FOUND'
  | 'PROFILE_NOT_FOUND'
  | 'PROFILE_NOT_READY'
  // 409 / 413 / 429
  | 'IDEMPOTENCY_CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  // 5xx
  | 'INTERNAL_ERROR'
  | 'BASE_MODEL_UNAVAILABLE'
  | 'OVERLOADED'
  | 'TIMEOUT';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly detail: string,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

export const badRequest = (code: ErrorCode, detail: string) => new ApiError(400, code, detail);
export const notFound = (code: 'NOT_FOUND' | 'PROFILE_NOT_FOUND' | 'PROFILE_NOT_READY', detail: string) =>
  new ApiError(404, code, detail);

/** A 422 in FastAPI's shape, for checks that JSON schema cannot express. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}
export class ValidationFailed extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
    this.name = 'ValidationFailed';
  }
}
