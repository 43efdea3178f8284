import { z } from 'zod';
import type { ParseContext } from '../config/env-values';

const httpEnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Proxies in front of the app whose X-Forwarded-For is believed: 0 = none. */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /**
   * Bounds on a client's connection (OWASP API4:2023; slowloris): the time to send the request
   * line and headers, then the whole request, the idle time of a keep-alive connection, and the
   * connections open at once. A trickling client is cut off before the rate limiter sees it.
   */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(5000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
});

/** The HTTP server's variables: where it listens, which proxies it believes, its bounds. */
export const httpEnv = httpEnvSchema.shape;
type HttpEnv = z.infer<typeof httpEnvSchema>;

/**
 * Bounds on client connections, applied to the HTTP server by HttpServerHardening. Node checks
 * the headers and request timeouts once a second there, so each fires up to a second late.
 */
export interface HttpServerSettings {
  /** Longest a client may take to send the request line and headers (slowloris). */
  headersTimeoutMs: number;
  /** Longest a client may take to send the whole request, body included; >= headersTimeoutMs. */
  requestTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open. Behind a load balancer it must exceed
   * the balancer's idle timeout, or the balancer may reuse a connection the app is closing.
   */
  keepAliveTimeoutMs: number;
  /** Connections open at once; a connection beyond it is closed as soon as it is accepted. */
  maxConnections: number;
}

export interface HttpSettings {
  port: number;
  host: string;
  /** How many proxies' X-Forwarded-For entries to believe (Express `trust proxy`). */
  trustProxyHops: number;
  server: HttpServerSettings;
}

export function parseHttp(env: HttpEnv, { problems }: ParseContext): HttpSettings {
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    // Node's own rule: the headers are part of the request, so their bound cannot be longer.
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  return {
    port: env.PORT,
    host: env.HOST,
    trustProxyHops: env.TRUST_PROXY_HOPS,
    server: {
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: env.HTTP_MAX_CONNECTIONS,
    },
  };
}
