const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * An error body-parser turns into a 4xx: it takes `status` and `type` from an error thrown by
 * its `verify` hook, and ProblemDetailsFilter logs the `type` as the closed reason code.
 */
export class JsonBodyRefused extends Error {
  readonly expose = true;

  constructor(
    readonly status: 400 | 415,
    readonly type: 'entity.too.deep' | 'charset.unsupported',
  ) {
    super(type);
    this.name = 'JsonBodyRefused';
  }
}

/**
 * Refuses a JSON body nested deeper than `maxDepth` before it is parsed, so that nothing after
 * the parser (a guard, a validator, a logger) can be made to recurse over it (OWASP API4:2023).
 *
 * Security: one linear pass over the raw bytes with a counter, no recursion and no allocation.
 * Brackets inside strings do not count; a backslash skips the byte after it, so `\"` does not
 * end a string. UTF-8 only (RFC 8259 §8.1): there, every byte of a multi-byte character is
 * 0x80 or above, so a quote or bracket byte is always that character. In UTF-16 or UTF-32 a
 * character's bytes can look like a quote, and the count could disagree with the parser, so
 * those bodies are refused (415) rather than scanned.
 */
export function checkJsonDepth(body: Uint8Array, encoding: string | null, maxDepth: number): void {
  if (encoding !== null && encoding !== 'utf-8') {
    throw new JsonBodyRefused(415, 'charset.unsupported');
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > maxDepth) throw new JsonBodyRefused(400, 'entity.too.deep');
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth--;
    }
  }
}
