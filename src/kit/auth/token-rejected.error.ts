/** Why a bearer token was refused: a closed set, logged, never sent to the client. */
export type TokenRejectReason =
  | 'malformed'
  | 'too_long'
  | 'bad_header'
  | 'bad_type'
  | 'bad_algorithm'
  | 'bad_signature'
  | 'unknown_key'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_issuer'
  | 'bad_audience'
  | 'missing_claim'
  | 'issued_in_future'
  | 'lifetime_too_long'
  | 'invalid';

export class TokenRejectedError extends Error {
  readonly reason: TokenRejectReason;

  /** Built without a stack: only the reason is ever read, and a stack costs every refusal. */
  constructor(reason: TokenRejectReason) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(reason);
    Error.stackTraceLimit = limit;
    this.reason = reason;
    this.name = 'TokenRejectedError';
  }

  /** Maps whatever jsonwebtoken, passport-jwt or our checks produced onto a closed reason. */
  static reasonOf(error: unknown): TokenRejectReason {
    if (error instanceof TokenRejectedError) return error.reason;
    if (!(error instanceof Error)) return 'invalid';
    if (error.name === 'TokenExpiredError') return 'expired';
    if (error.name === 'NotBeforeError') return 'not_yet_valid';
    const m = error.message;
    if (m.startsWith('invalid signature') || m.startsWith('jwt signature')) return 'bad_signature';
    if (m.startsWith('jwt audience invalid')) return 'bad_audience';
    if (m.startsWith('jwt issuer invalid')) return 'bad_issuer';
    if (m.startsWith('invalid algorithm')) return 'bad_algorithm';
    if (m.startsWith('jwt malformed') || m.startsWith('invalid token')) return 'malformed';
    return 'invalid';
  }
}
