import type { ApiKeyAuthReason } from '../api-keys/api-key.authenticator';
import type { ApiKeyAdminReason } from '../api-keys/api-keys.controller';
import type { AuthChallengeReason } from '../auth/auth-challenge';
import type { TokenRejectReason } from '../auth/token-rejected.error';
import type { DownstreamCallReason } from '../downstream/downstream.client';
import type { RequestRefusalReason } from '../http/http-server-hardening';
import type { ClientAbortReason } from '../logging/access-log.middleware';
import type { RateLimitReason } from '../throttling/rate-limit.guard';
import type { LibraryErrorReason } from './problem-details.filter';
import type { ValidationReason } from './schema-validation.pipe';

/**
 * Reason codes an application adds for its own refusals. A module declares its codes beside the
 * code that throws them, by augmenting this interface (each key is a code; the value is unused):
 *
 *     declare module '../../kit/security/access-reason' {
 *       interface ApplicationReasons { item_not_found: true }
 *     }
 *
 * so that its codes are as closed as the kit's: a code nobody declared does not compile.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by module augmentation
export interface ApplicationReasons {}

export type ApplicationReason = Extract<keyof ApplicationReasons, string>;

/** The outbound client's refusals: a path parameter it will not send, or a failed call. */
export type DownstreamReason = DownstreamCallReason | 'downstream_path_param_rejected';

/**
 * Every reason a ProblemException may carry. Each union is defined where its codes are produced;
 * this list is the whole vocabulary our own code throws.
 */
export type ProblemReason =
  | AuthChallengeReason
  | TokenRejectReason
  | ApiKeyAuthReason
  | ApiKeyAdminReason
  | RateLimitReason
  | ValidationReason
  | DownstreamReason
  | ApplicationReason;

/**
 * Every value the `reason` field of an access-log line (and the `request_failed` event) can have:
 * a ProblemException's reason, a refusal by Node's HTTP parser, a client that went away, or a
 * library error mapped onto a closed set by ProblemDetailsFilter. Security: alert rules match on
 * these codes, and none of them is built from request data (docs/threat-model.md §2).
 */
export type AccessReason =
  ProblemReason | RequestRefusalReason | ClientAbortReason | LibraryErrorReason;
