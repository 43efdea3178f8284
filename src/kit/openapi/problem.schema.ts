import { z } from 'zod';

/** The name of the one problem+json schema under `components.schemas`. */
export const PROBLEM_SCHEMA_NAME = 'Problem';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** An obviously fake request id for examples: never a value a real request could carry. */
export const PLACEHOLDER_REQUEST_ID = '00000000-0000-4000-8000-000000000000';

/**
 * Every error body the app sends (RFC 9457), as ProblemDetailsFilter builds it. Closed
 * (`additionalProperties: false`), so a contract test fails the day a library field (`message`,
 * `stack`, `error`) slips into a body (docs/threat-model.md, promise P4). Bounded
 * strings, integers and arrays answer OWASP API4:2023 (resource limits in the schema).
 */
export const ProblemSchema = z
  .strictObject({
    type: z.literal('about:blank').describe('Always about:blank: the status code says it all.'),
    title: z
      .string()
      .max(64)
      .regex(/^[A-Za-z][A-Za-z' -]*$/)
      .describe('The fixed reason phrase of the status (RFC 9110), never a library message.'),
    status: z.int().min(400).max(599).meta({ format: 'int32' }),
    detail: z
      .string()
      .max(200)
      .regex(/^[^\r\n]*$/)
      .optional()
      .describe('Text written by our own code; never input, a URL or a stack.'),
    errors: z
      .array(
        z.strictObject({
          field: z
            .string()
            .max(400)
            .regex(/^[A-Za-z0-9_.*()]+$/)
            .describe('Path of the field in the request; unknown keys print as *.'),
          rule: z
            .string()
            .max(40)
            .regex(/^[a-z_]+$/)
            .describe('The rule it broke, for example too_small. Never the value.'),
        }),
      )
      .max(20)
      .optional()
      .describe('Validation problems (400 only).'),
    requestId: z
      .string()
      .max(36)
      .regex(/^([0-9a-f-]{36}|none)$/)
      .describe('Quote it to support; the server log holds the detail under this id.'),
  })
  .describe('An RFC 9457 problem: fixed title per status, a request id, nothing echoed.');
export type Problem = z.infer<typeof ProblemSchema>;
