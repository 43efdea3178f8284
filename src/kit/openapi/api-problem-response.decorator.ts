import { ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { HeaderObject } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { PLACEHOLDER_REQUEST_ID, PROBLEM_MEDIA_TYPE, PROBLEM_SCHEMA_NAME } from './problem.schema';
import type { Problem } from './problem.schema';

export type ResponseHeaders = Record<string, HeaderObject>;

/** Any response can carry it: the CORS middleware runs before routing (app.setup.ts). */
export const CORS_HEADERS: ResponseHeaders = {
  'Access-Control-Allow-Origin': {
    description:
      'Sent only when CORS_ORIGINS lists the request Origin; it echoes that origin, never `*`.',
    schema: { type: 'string', format: 'uri', maxLength: 2048 },
  },
};

/** Headers every problem response carries (ProblemDetailsFilter, CORS middleware). */
export const PROBLEM_HEADERS: ResponseHeaders = {
  'X-Request-Id': {
    description: 'The id of this request in the server log.',
    schema: { type: 'string', maxLength: 36, pattern: '^([0-9a-f-]{36}|none)$' },
  },
  ...CORS_HEADERS,
};

export interface ProblemResponseOptions {
  /** The `detail` our own code writes for this status, shown in the example. */
  detail?: string;
  /** Headers that belong to this status (`WWW-Authenticate`, `Retry-After`). */
  headers?: ResponseHeaders;
  /** Validation errors shown in the example (400). */
  errors?: Problem['errors'];
}

/**
 * Documents one error status of an operation with the shared problem+json schema, which is
 * registered once under `components.schemas` (OpenApiDocument). The example is built from
 * placeholders only: a fixed title, a zero request id, no token- or key-shaped string: an
 * example credential in a document gets copied (docs/threat-model.md, section 5).
 */
export function ApiProblemResponse(
  status: number,
  description: string,
  options: ProblemResponseOptions = {},
): MethodDecorator & ClassDecorator {
  const example: Problem = {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    ...(options.detail ? { detail: options.detail } : {}),
    ...(options.errors ? { errors: options.errors } : {}),
    requestId: PLACEHOLDER_REQUEST_ID,
  };
  return ApiResponse({
    status,
    description,
    headers: { ...PROBLEM_HEADERS, ...options.headers },
    content: {
      [PROBLEM_MEDIA_TYPE]: { schema: { $ref: getSchemaPath(PROBLEM_SCHEMA_NAME) }, example },
    },
  });
}
