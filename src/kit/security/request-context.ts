import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { AccessReason } from './access-reason';

interface RequestStore {
  readonly requestId: string;
  /** Credentials this request carried, kept only to redact them from anything we write. */
  readonly credentials: string[];
}

const storage = new AsyncLocalStorage<RequestStore>();
const ROUTE = Symbol('leakproof.route');
const REASON = Symbol('leakproof.reason');

type RoutedRequest = { route?: { path?: unknown }; [ROUTE]?: string; [REASON]?: AccessReason };

/**
 * Per-request state that must be reachable without threading the request object through every
 * layer: the request id and the credentials the request carried. The redaction core reads the
 * credentials so that a value the client sent is scrubbed even where no pattern would catch it.
 */
export class RequestContext {
  static run<T>(credentials: string[], fn: () => T): T {
    return storage.run({ requestId: randomUUID(), credentials }, fn);
  }

  static requestId(): string | undefined {
    return storage.getStore()?.requestId;
  }

  static credentials(): readonly string[] {
    return storage.getStore()?.credentials ?? [];
  }

  /**
   * Remembers the matched route template on the request. Express replaces `req.route` as the
   * request moves through later layers, so the access log reads what was recorded here, while
   * the route was current. Logs carry the template, never the raw path: a path segment can
   * carry a credential.
   */
  static recordRoute(req: object): void {
    const r = req as RoutedRequest;
    if (typeof r.route?.path === 'string') r[ROUTE] = r.route.path;
  }

  static routeOf(req: object): string | null {
    return (req as RoutedRequest)[ROUTE] ?? null;
  }

  /**
   * The closed reason code of a refused or failed request (`expired`, `rate_limited`, ...),
   * recorded by the exception filter so that the access-log line carries it: one line per
   * request, never a second event for a client error.
   */
  static recordReason(req: object, reason: AccessReason): void {
    (req as RoutedRequest)[REASON] = reason;
  }

  static reasonOf(req: object): AccessReason | null {
    return (req as RoutedRequest)[REASON] ?? null;
  }
}
