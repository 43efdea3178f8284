import { z } from 'zod';
import { Redactor } from './redactor';

/** The rule a refused field reports: problem+json `errors[].rule`, and the key CLI's message. */
export const SECRET_SHAPED = 'secret_shaped';

export interface FreeTextBounds {
  /** Shortest accepted text after trimming; 1 by default (no blank names). */
  min?: number;
  max: number;
}

/**
 * A free-text input field (a name, a label, a comment): trimmed, bounded, and never shaped like
 * a secret. Security: whatever a client writes here is stored and shown to every reader of the
 * resource, so a key or token pasted into it (by mistake, or to leak it on purpose) would be
 * disclosed to all of them (OWASP ASVS 14.1, OWASP API3:2023). The shapes are the redaction
 * core's (`Redactor.hasSecretShape`): JWTs, our API keys, PEM blocks, HTTP auth schemes,
 * credential query values, URL passwords. A refusal names the field and the rule
 * `secret_shaped`, never the value (SchemaValidationPipe reads the rule from `params.rule`).
 *
 * The shapes are tested only on text that passed the other checks, so their cost is bounded by
 * `max` whatever the client sends.
 */
export function freeText({ min = 1, max }: FreeTextBounds) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((text) => !Redactor.hasSecretShape(text), {
      error: 'looks like a key, a token or another secret',
      params: { rule: SECRET_SHAPED },
      when: (payload) => payload.issues.length === 0,
    });
}
