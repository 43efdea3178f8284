import { HttpStatus } from '@nestjs/common';
import type { ApiKeyRejectReason } from '../api-keys/api-key.verifier';
import { ProblemException } from '../security/problem.exception';
import type { TokenRejectReason } from './token-rejected.error';

/** The reasons of the challenges below that are not about one credential's content. */
export type AuthChallengeReason =
  'missing_credentials' | 'multiple_credentials' | 'insufficient_scope';

/** Why a presented credential was invalid: a token's reason, or a key's with its scheme prefix. */
export type InvalidCredentialReason = TokenRejectReason | `api_key_${ApiKeyRejectReason}`;

const REALM = 'leakproof';

/**
 * RFC 6750 §3 responses. The header values are fixed strings: no token, claim, configuration
 * value or library message ever goes into them (RFC 6750 §3, docs/threat-model.md §3). API-key
 * routes use the same shapes under their own scheme name.
 */
export class AuthChallenge {
  /** No credentials for this scheme: 401 with the bare challenge and no error code (§3.1). */
  static missing(scheme: 'Bearer' | 'ApiKey'): ProblemException {
    return new ProblemException(HttpStatus.UNAUTHORIZED, {
      reason: 'missing_credentials',
      headers: { 'WWW-Authenticate': AuthChallenge.header(scheme) },
    });
  }

  /** Any invalid credential: one body and one header whatever the cause. */
  static invalid(scheme: 'Bearer' | 'ApiKey', reason: InvalidCredentialReason): ProblemException {
    const error = scheme === 'Bearer' ? 'invalid_token' : 'invalid_key';
    return new ProblemException(HttpStatus.UNAUTHORIZED, {
      reason,
      headers: {
        'WWW-Authenticate': `${AuthChallenge.header(scheme)}, error="${error}", error_description="The credential is invalid"`,
      },
    });
  }

  /**
   * More than one credential in one request (RFC 6750 §2: a client MUST NOT use more than one
   * method; §3.1: 400 `invalid_request`). Refused before any route's scheme is looked at, so
   * the challenge is always `Bearer`, the scheme RFC 6750 defines this error code for, on
   * every route: the answer is the same whichever route was asked and whichever credentials
   * were combined, and none of them is examined.
   */
  static multipleCredentials(): ProblemException {
    return new ProblemException(HttpStatus.BAD_REQUEST, {
      reason: 'multiple_credentials',
      detail:
        'Send exactly one credential: a bearer token in the Authorization header or an API key in the X-API-Key header.',
      headers: {
        'WWW-Authenticate': `${AuthChallenge.header('Bearer')}, error="invalid_request", error_description="The request carries more than one credential"`,
      },
    });
  }

  static insufficientScope(
    scheme: 'Bearer' | 'ApiKey',
    scopes: readonly string[],
  ): ProblemException {
    return new ProblemException(HttpStatus.FORBIDDEN, {
      reason: 'insufficient_scope',
      detail: 'The credential lacks a scope this operation requires.',
      headers: {
        'WWW-Authenticate': `${AuthChallenge.header(scheme)}, error="insufficient_scope", scope="${scopes.join(' ')}"`,
      },
    });
  }

  private static header(scheme: 'Bearer' | 'ApiKey'): string {
    return `${scheme} realm="${REALM}"`;
  }
}
