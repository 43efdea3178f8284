import type { OpenAPIObject } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';

/** A JSON schema as the OpenAPI document holds it (zod's output through Nest's swagger). */
interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
}

/** Plain words tried in turn against a string's pattern and length bounds. */
const WORDS = ['matrix text', 'matrix', 'matrix:read', 'matrix-1', '90d', 'a'];

/**
 * A valid request body for one operation, built from the schema the route declares (the same
 * one its validation pipe enforces, as the OpenAPI document publishes it): required fields only,
 * plain text within bounds, numbers within range, uuids, the first enum value. So the leak
 * matrix reaches every route an adopter adds, authenticated and with a 2xx, without test edits.
 *
 * `accepted` are words the running app itself says it takes (the scopes an API key may carry):
 * they are tried before the plain words, so a field whose values the app narrows beyond its
 * schema (a scope must also be allowed) still gets one the app accepts.
 */
export class SchemaExample {
  private readonly words: readonly string[];

  constructor(
    private readonly document: OpenAPIObject,
    accepted: readonly string[] = [],
  ) {
    this.words = [...accepted, ...WORDS];
  }

  /** The JSON body for `method path` (an Express path such as `/widgets/:id`), if it takes one. */
  body(method: string, expressPath: string): string | undefined {
    const path = expressPath.replace(/:([A-Za-z_]\w*)/g, '{$1}');
    const item = this.document.paths[path] as Record<string, unknown> | undefined;
    const operation = item?.[method.toLowerCase()] as
      { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } } | undefined;
    const schema = operation?.requestBody?.content?.['application/json']?.schema;
    return schema ? JSON.stringify(this.value(schema, 0)) : undefined;
  }

  private value(schema: JsonSchema, depth: number): unknown {
    const resolved = this.resolve(schema);
    if (depth > 8) return null;
    if (resolved.const !== undefined) return resolved.const;
    if (resolved.enum?.length) return resolved.enum[0];
    const variants = resolved.anyOf ?? resolved.oneOf ?? resolved.allOf;
    if (variants?.length) return this.value(variants[0], depth + 1);
    const type = Array.isArray(resolved.type) ? resolved.type[0] : resolved.type;
    switch (type) {
      case 'object': {
        const body: Record<string, unknown> = {};
        for (const name of resolved.required ?? []) {
          const field = resolved.properties?.[name];
          if (field) body[name] = this.value(field, depth + 1);
        }
        return body;
      }
      case 'array': {
        const count = resolved.minItems ?? 0;
        return Array.from({ length: count }, (_, i) =>
          this.distinct(this.value(resolved.items ?? {}, depth + 1), i),
        );
      }
      case 'integer':
      case 'number':
        return SchemaExample.number(resolved, type === 'integer');
      case 'boolean':
        return true;
      case 'string':
        return this.text(resolved);
      default:
        return resolved.default ?? null;
    }
  }

  private resolve(schema: JsonSchema): JsonSchema {
    let current = schema;
    for (let i = 0; current.$ref && i < 8; i++) {
      const name = current.$ref.split('/').pop() ?? '';
      current = this.document.components?.schemas?.[name] ?? {};
    }
    return current;
  }

  /** Array items must often be unique (scopes): each one after the first gets a suffix. */
  private distinct(value: unknown, index: number): unknown {
    return index > 0 && typeof value === 'string' ? `${value}${index}` : value;
  }

  private static number(schema: JsonSchema, integer: boolean): number {
    const low =
      typeof schema.exclusiveMinimum === 'number'
        ? schema.exclusiveMinimum + 1
        : (schema.minimum ?? 0) + (schema.exclusiveMinimum === true ? 1 : 0);
    const high =
      typeof schema.exclusiveMaximum === 'number'
        ? schema.exclusiveMaximum - 1
        : (schema.maximum ?? low + 1) - (schema.exclusiveMaximum === true ? 1 : 0);
    const value = Math.max(low, Math.min(high, low + 1));
    return integer ? Math.ceil(value) : value;
  }

  private text(schema: JsonSchema): string {
    switch (schema.format) {
      case 'uuid':
        return randomUUID();
      case 'date-time':
        return new Date().toISOString();
      case 'email':
        return 'matrix@example.com';
      case 'uri':
        return 'https://example.com/';
    }
    const min = schema.minLength ?? 0;
    const max = schema.maxLength ?? Infinity;
    const pattern = schema.pattern === undefined ? undefined : new RegExp(schema.pattern);
    const fits = (word: string): boolean =>
      word.length >= min && word.length <= max && (!pattern || pattern.test(word));
    const padded = this.words.map((word) => word.padEnd(min, 'x'));
    return padded.find(fits) ?? 'matrix'.padEnd(min, 'x').slice(0, max);
  }
}
