import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { z } from 'zod';
import { list, type ParseContext } from '../config/env-values';
import { Secret } from '../config/secret';
import { checkStrength, MIN_SECRET_BYTES } from '../config/secret-source';

export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

const jwtEnvSchema = z.object({
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_ALGORITHMS: list.optional(),
  JWT_TOKEN_TYPES: list.default(['at+jwt']),
  JWT_MAX_TOKEN_LIFETIME: z.coerce.number().int().min(60).max(86_400).default(3600),
  JWT_JWKS_URI: z.url({ protocol: /^https?$/ }).optional(),
});

/** Token verification's variables; JWT_PUBLIC_KEY and JWT_SECRET are secret variables. */
export const jwtEnv = jwtEnvSchema.shape;
type JwtEnv = z.infer<typeof jwtEnvSchema>;

export type JwtKeySource =
  | { kind: 'jwks'; uri: string }
  | { kind: 'public-key'; key: KeyObject }
  | { kind: 'secret'; key: KeyObject; secret: Secret }
  /** The development issuer: its key is DevKeyMaterial's, kept in `dir`. */
  | { kind: 'dev-issuer'; dir: string };

export interface JwtSettings {
  issuer: string;
  audience: string;
  algorithms: JwtAlgorithm[];
  tokenTypes: string[];
  maxLifetimeSeconds: number;
  /** RFC 8725 leaves skew to the verifier; 30 s keeps `exp`/`nbf`/`iat` checks tight. */
  clockToleranceSeconds: number;
  keySource: JwtKeySource;
}

const DEV_ISSUER = 'leakproof-dev-issuer';
const DEV_AUDIENCE = 'leakproof-api';

/** Null when a problem leaves no usable issuer, audience or key source. */
export function parseJwt(env: JwtEnv, context: ParseContext): JwtSettings | null {
  const { production, problems } = context;
  const issuer = env.JWT_ISSUER ?? (production ? undefined : DEV_ISSUER);
  const audience = env.JWT_AUDIENCE ?? (production ? undefined : DEV_AUDIENCE);
  if (!issuer) problems.push('JWT_ISSUER: required in production');
  if (!audience) problems.push('JWT_AUDIENCE: required in production');
  const keySource = keySourceOf(env, context);
  const algorithms = algorithmsFor(env, keySource, problems);
  if (!issuer || !audience || !keySource) return null;
  return {
    issuer,
    audience,
    algorithms,
    tokenTypes: env.JWT_TOKEN_TYPES.map((t) => t.toLowerCase().replace(/^application\//, '')),
    maxLifetimeSeconds: env.JWT_MAX_TOKEN_LIFETIME,
    clockToleranceSeconds: 30,
    keySource,
  };
}

/** Exactly one of JWT_JWKS_URI, JWT_PUBLIC_KEY, JWT_SECRET; none: the development issuer. */
function keySourceOf(
  env: JwtEnv,
  { production, secrets, problems, devKeysDir }: ParseContext,
): JwtKeySource | null {
  const set = [
    env.JWT_JWKS_URI ? 'JWT_JWKS_URI' : null,
    secrets.JWT_PUBLIC_KEY ? 'JWT_PUBLIC_KEY' : null,
    secrets.JWT_SECRET ? 'JWT_SECRET' : null,
  ].filter((x) => x !== null);
  if (set.length > 1) {
    problems.push(`${set.join(', ')}: set exactly one JWT key source`);
    return null;
  }
  if (env.JWT_JWKS_URI) {
    if (production && !env.JWT_JWKS_URI.startsWith('https:')) {
      problems.push('JWT_JWKS_URI: must use https in production');
    }
    return { kind: 'jwks', uri: env.JWT_JWKS_URI };
  }
  if (secrets.JWT_PUBLIC_KEY) {
    try {
      return { kind: 'public-key', key: createPublicKey(secrets.JWT_PUBLIC_KEY) };
    } catch {
      problems.push('JWT_PUBLIC_KEY: not a PEM public key');
      return null;
    }
  }
  if (secrets.JWT_SECRET) {
    const secret = secrets.JWT_SECRET;
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
      // Security: RFC 7518 §3.2, RFC 8725 §3.5 — an HS256 key has at least 256 bits.
      problems.push(`JWT_SECRET: must be at least ${MIN_SECRET_BYTES} bytes`);
      return null;
    }
    checkStrength('JWT_SECRET', secret, production, problems);
    return {
      kind: 'secret',
      key: createSecretKey(Buffer.from(secret)),
      secret: new Secret(secret),
    };
  }
  if (production) {
    problems.push('JWT_JWKS_URI, JWT_PUBLIC_KEY, JWT_SECRET: production needs exactly one');
    return null;
  }
  return { kind: 'dev-issuer', dir: devKeysDir };
}

/**
 * JWT_ALGORITHMS, or the one the key source implies. Security: RFC 8725 §3.1 — the verifier
 * accepts only algorithms chosen here, never the one a token names.
 */
function algorithmsFor(
  env: JwtEnv,
  source: JwtKeySource | null,
  problems: string[],
): JwtAlgorithm[] {
  const requested = env.JWT_ALGORITHMS;
  if (!requested) {
    if (source?.kind === 'secret') return ['HS256'];
    if (source?.kind === 'public-key' && source.key.asymmetricKeyType === 'ec') return ['ES256'];
    return ['RS256'];
  }
  const known = new Set<string>(JWT_ALGORITHMS);
  if (requested.length === 0 || requested.some((a) => !known.has(a))) {
    // Security: RFC 8725 §3.1-3.2 — `none` is never a valid choice for bearer tokens.
    problems.push(`JWT_ALGORITHMS: allowed values are ${JWT_ALGORITHMS.join(', ')}`);
    return [];
  }
  const algorithms = requested as JwtAlgorithm[];
  const hmac = algorithms.filter((a) => a.startsWith('HS'));
  if (hmac.length > 0 && hmac.length < algorithms.length) {
    // Security: RFC 8725 §3.1, CVE-2016-10555 — never one key with HS and asymmetric algorithms.
    problems.push('JWT_ALGORITHMS: do not mix HS algorithms with asymmetric ones');
    return [];
  }
  if (source) {
    const symmetric = source.kind === 'secret';
    if (symmetric !== hmac.length > 0) {
      problems.push('JWT_ALGORITHMS: do not match the configured key source');
    }
  }
  return algorithms;
}
