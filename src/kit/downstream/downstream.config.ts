import { z } from 'zod';
import type { ParseContext } from '../config/env-values';
import { Secret } from '../config/secret';

const downstreamEnvSchema = z.object({
  DOWNSTREAM_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  DOWNSTREAM_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5000),
});

/** The outbound client's variables; its key is DOWNSTREAM_API_KEY, a secret variable. */
export const downstreamEnv = downstreamEnvSchema.shape;
type DownstreamEnv = z.infer<typeof downstreamEnvSchema>;

export interface DownstreamSettings {
  baseUrl: URL;
  apiKey: Secret;
  /** Bound on connect, on the wait for headers, between body chunks, and on the whole call. */
  timeoutMs: number;
}

/** Null when no downstream is configured: both the URL and the key are needed. */
export function parseDownstream(
  env: DownstreamEnv,
  { secrets, problems }: ParseContext,
): DownstreamSettings | null {
  const apiKey = secrets.DOWNSTREAM_API_KEY;
  if (!env.DOWNSTREAM_BASE_URL || !apiKey) {
    if (env.DOWNSTREAM_BASE_URL || apiKey) {
      problems.push('DOWNSTREAM_BASE_URL, DOWNSTREAM_API_KEY: set both or neither');
    }
    return null;
  }
  const baseUrl = new URL(env.DOWNSTREAM_BASE_URL);
  if (baseUrl.username || baseUrl.password || baseUrl.search || baseUrl.hash) {
    // Security: the key travels only in DOWNSTREAM_API_KEY (a Secret, redacted); a URL is
    // printed too easily (docs/threat-model.md §1), so it carries neither credentials nor
    // a query.
    problems.push('DOWNSTREAM_BASE_URL: no user, password, query or fragment allowed');
  }
  return { baseUrl, apiKey: new Secret(apiKey), timeoutMs: env.DOWNSTREAM_TIMEOUT_MS };
}
