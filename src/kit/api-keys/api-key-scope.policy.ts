import type { AuditedRoute } from '../auth/route-audit.service';
import type { AppConfig } from '../config/app-config';

/**
 * RFC 6749 §3.3 scope tokens, narrowed to lowercase `resource:action` style names. The one
 * definition for key scopes and for API_KEY_ALLOWED_SCOPES (this file imports nothing at run
 * time, so the configuration schema can use it).
 */
export const SCOPE_TOKEN = /^[a-z0-9][a-z0-9:._-]{0,63}$/;

/** The rule a refused scope reports: problem+json `errors[].rule`, and the key CLI's message. */
export const SCOPE_NOT_ALLOWED = 'scope_not_allowed';

/** A key would carry a scope that API keys may not have. Carries no scope: never echoed. */
export class ApiKeyScopeError extends Error {
  constructor() {
    super(SCOPE_NOT_ALLOWED);
    this.name = 'ApiKeyScopeError';
  }
}

/**
 * The scopes an API key may carry: API_KEY_ALLOWED_SCOPES when it is set, else every scope that
 * a route declared with `@ApiKeyAuth(...)` requires. Security: least privilege (OWASP
 * API5:2023). Without it an admin could mint keys with any scope, `api-keys:admin` or a scope
 * only people should hold included, and a leaked key would then be worth more than any route
 * for machines needs; with it a key carries only what some key route accepts.
 */
export class ApiKeyScopePolicy {
  readonly allowed: readonly string[];
  private readonly set: ReadonlySet<string>;

  constructor(allowed: Iterable<string>) {
    this.set = new Set(allowed);
    this.allowed = [...this.set].sort();
  }

  /** The policy of an app whose routes are `routes` (RouteAuditService). */
  static of(config: AppConfig, routes: readonly AuditedRoute[]): ApiKeyScopePolicy {
    return new ApiKeyScopePolicy(
      config.apiKeys.allowedScopes ??
        routes.flatMap((r) => (r.security?.scheme === 'api-key' ? r.security.scopes : [])),
    );
  }

  /** Throws ApiKeyScopeError unless every scope is allowed. */
  check(scopes: readonly string[]): void {
    if (!scopes.every((scope) => this.set.has(scope))) throw new ApiKeyScopeError();
  }
}
