import { HttpStatus, Injectable, StandardSchemaValidationPipe } from '@nestjs/common';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ProblemException } from './problem.exception';

/** The access-log reason of a request whose body or parameters fail their schema. */
export type ValidationReason = 'validation_failed';

const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Nest 12's Standard Schema pipe (zod schemas on `@Body({ schema })`, `@Param(..., { schema })`)
 * with an error that names fields and rules and never the values (docs/threat-model.md §3).
 * Path segments come from the schema's own keys; anything else prints as `*`, and the messages
 * (which can quote unknown keys) are dropped.
 */
@Injectable()
export class SchemaValidationPipe extends StandardSchemaValidationPipe {
  constructor() {
    super({
      exceptionFactory: (issues: readonly StandardSchemaV1.Issue[]) =>
        new ProblemException(HttpStatus.BAD_REQUEST, {
          reason: 'validation_failed',
          detail: 'The request does not match the schema.',
          errors: issues.slice(0, 20).map((issue) => ({
            field: SchemaValidationPipe.field(issue.path ?? []),
            rule: SchemaValidationPipe.rule(issue),
          })),
        }),
    });
  }

  private static field(path: readonly (PropertyKey | StandardSchemaV1.PathSegment)[]): string {
    const parts = path.map((p) => {
      const key = typeof p === 'object' ? p.key : p;
      if (typeof key === 'number') return String(key);
      return typeof key === 'string' && FIELD.test(key) ? key : '*';
    });
    return parts.length > 0 ? parts.join('.') : '(root)';
  }

  /** The zod issue code, or for a refinement the name it gives itself in `params.rule`. */
  private static rule(issue: StandardSchemaV1.Issue): string {
    const { code, params } = issue as { code?: unknown; params?: { rule?: unknown } };
    const rule = code === 'custom' && typeof params?.rule === 'string' ? params.rule : code;
    return typeof rule === 'string' && /^[a-z_]{1,40}$/.test(rule) ? rule : 'invalid';
  }
}
