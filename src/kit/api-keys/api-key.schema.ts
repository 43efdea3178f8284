import { z } from 'zod';
import { freeText } from '../security/free-text.schema';
import { ApiKeyFormat } from './api-key-format';
import { SCOPE_TOKEN } from './api-key-scope.policy';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const DURATION = /^(\d{1,6})([smhd])$/;

/** `90d`, `12h`, `30m`, `45s`: the same syntax in the admin API and the CLI. */
function duration(minSeconds: number, maxSeconds: number) {
  return z
    .string()
    .max(8)
    .regex(DURATION)
    .transform((text) => {
      const [, amount, unit] = DURATION.exec(text) ?? [];
      return Number(amount) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
    })
    .pipe(z.number().int().min(minSeconds).max(maxSeconds));
}

/** A key lives from one minute to two years; none means no expiry. */
export const ExpirySchema = duration(60, 730 * 86_400);
/** How long a rotated key keeps working beside its successor: up to 30 days, 24 h by default. */
export const OverlapSchema = duration(0, 30 * 86_400);
export const DEFAULT_OVERLAP_SECONDS = 86_400;

/** RFC 6749 §3.3 scope tokens, narrowed to lowercase `resource:action` style names. */
export const ScopeSchema = z.string().max(64).regex(SCOPE_TOKEN);

/**
 * Security: a name is shown in lists and logs, so it is a short label from a small alphabet,
 * and never something shaped like a key or token (`freeText`: one pasted into the name would be
 * stored in clear and shown to every admin).
 */
export const ApiKeyNameSchema = freeText({ max: 100 }).regex(/^[A-Za-z0-9 ._:@/()-]+$/);

export const ApiKeyIdSchema = z.string().max(12).regex(ApiKeyFormat.PUBLIC_ID);

export const CreateApiKeySchema = z
  .strictObject({
    name: ApiKeyNameSchema,
    scopes: z
      .array(ScopeSchema)
      .min(1)
      .max(20)
      .refine((s) => new Set(s).size === s.length, { error: 'duplicate scope' }),
    expiresIn: ExpirySchema.optional(),
  })
  .meta({ id: 'CreateApiKey' });
export type CreateApiKey = z.infer<typeof CreateApiKeySchema>;

export const RotateApiKeySchema = z
  .strictObject({
    overlap: OverlapSchema.optional(),
    /** The successor's lifetime; by default it gets the same lifetime the old key had. */
    expiresIn: ExpirySchema.optional(),
  })
  .prefault({})
  .meta({ id: 'RotateApiKey' });
export type RotateApiKey = z.infer<typeof RotateApiKeySchema>;

// Response bounds are documentation (OWASP API4:2023: the document states every limit).
const timestamp = z.iso.datetime().max(40);

/** What the admin API says about a key: metadata only, never a digest or a pepper id. */
export const ApiKeySchema = z
  .strictObject({
    id: ApiKeyIdSchema,
    prefix: z
      .string()
      .max(40)
      .regex(/^lp_(live|test)_[0-9A-Za-z]{12}$/),
    name: z
      .string()
      .max(100)
      .regex(/^[A-Za-z0-9 ._:@/()-]+$/),
    scopes: z.array(ScopeSchema).max(20),
    status: z.enum(['active', 'revoked', 'expired']),
    createdAt: timestamp,
    createdBy: z.string().max(255),
    expiresAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
    lastUsedAt: timestamp.nullable(),
    rotatedFrom: ApiKeyIdSchema.nullable(),
  })
  .meta({ id: 'ApiKey' });

/** ApiKeysService.list returns at most this many keys. */
export const ApiKeyListSchema = z.array(ApiKeySchema).max(500);
export type ApiKeyMetadata = z.infer<typeof ApiKeySchema>;

/** The one response that carries the key, in plaintext, once. */
export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().max(ApiKeyFormat.LENGTH),
}).meta({
  id: 'CreatedApiKey',
});
export type CreatedApiKey = z.infer<typeof CreatedApiKeySchema>;

export const RotatedApiKeySchema = CreatedApiKeySchema.extend({ previous: ApiKeySchema }).meta({
  id: 'RotatedApiKey',
});
export type RotatedApiKey = z.infer<typeof RotatedApiKeySchema>;
