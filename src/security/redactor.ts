import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RequestContext } from './request-context';
import { CREDENTIAL_QUERY_PARAMS } from './sensitive-names';

const MASK = '[REDACTED]';
/** Values shorter than this are not matched exactly: too many false hits, too little secret. */
const MIN_EXACT = 8;

/** Secret-shaped text: JWTs, our API keys, PEM blocks, HTTP auth schemes, credential query values. */
const SHAPES: readonly RegExp[] = [
  /-----BEGIN [A-Z ]+-----[\s\S]*?(?:-----END [A-Z ]+-----|$)/g,
  /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g,
  /\blp_(?:live|test)_[A-Za-z0-9_]+/g,
  /\b(Bearer|Basic|Digest|Negotiate)\s+[A-Za-z0-9._~+/=-]+/gi,
  new RegExp(`([?&;](?:${CREDENTIAL_QUERY_PARAMS.join('|')})=)[^&#\\s"']*`, 'gi'),
  /(\/\/[^/\s:@]*:)[^@/\s]+(?=@)/g,
];

/** Matches wherever any of SHAPES could match (case-insensitive, so a superset of each). */
const ANY_SHAPE = new RegExp(SHAPES.map((shape) => `(?:${shape.source})`).join('|'), 'i');

export interface ErrorSummary {
  type: string;
  message: string;
  stack?: string;
  code?: string;
}

/**
 * The redaction core (DESIGN.md, "one redaction core"). It removes, from any text we are about
 * to write: the exact value of every configured secret, the exact credentials of the current
 * request, and anything shaped like a secret. The logger, the exception filter, the scrub
 * interceptor and the outbound client all call it.
 *
 * Cost: one pass per pattern over the text. It is applied to log messages and error summaries,
 * which are short; it is never run over response bodies on the success path.
 */
@Injectable()
export class Redactor {
  private readonly configured: readonly string[];

  constructor(config: AppConfig) {
    this.configured = config
      .secrets()
      .map((s) => s.reveal())
      .filter((v) => v.length >= MIN_EXACT)
      .sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const value of this.configured) {
      if (out.includes(value)) out = out.replaceAll(value, MASK);
    }
    for (const value of RequestContext.credentials()) {
      if (value.length >= MIN_EXACT && out.includes(value)) out = out.replaceAll(value, MASK);
    }
    for (const shape of SHAPES) {
      out = out.replace(shape, (_match: string, keep?: unknown) =>
        typeof keep === 'string' && /[=:]$/.test(keep) ? `${keep}${MASK}` : MASK,
      );
    }
    return out;
  }

  /**
   * True when the text holds a configured secret, a request credential or a secret shape.
   *
   * The scrub interceptor asks this of every response header on every request. Most values
   * (helmet's, Content-Type, rate-limit counters) hold nothing, so a cheap test comes first:
   * `redact()` can change the text only if an exact value occurs in it or some shape matches it,
   * and the test looks for exactly those (ANY_SHAPE matches wherever a shape would). When it
   * finds nothing the answer is `false` with no replacement work; when it finds something the
   * full `redact()` decides, as before. Same answers, less work (issue #8).
   */
  containsSecret(text: string): boolean {
    return this.mayHoldSecret(text) && this.redact(text) !== text;
  }

  /**
   * True when the text holds something shaped like a secret (a JWT, one of our API keys, a PEM
   * block, ...): the rule that free-text input fields apply, so a credential pasted into a name
   * is refused instead of stored and shown to every reader.
   */
  static hasSecretShape(text: string): boolean {
    return SHAPES.some((shape) => {
      shape.lastIndex = 0;
      return shape.test(text);
    });
  }

  private mayHoldSecret(text: string): boolean {
    for (const value of this.configured) {
      if (text.includes(value)) return true;
    }
    for (const value of RequestContext.credentials()) {
      if (value.length >= MIN_EXACT && text.includes(value)) return true;
    }
    return ANY_SHAPE.test(text);
  }

  /**
   * What may be logged about an error: its type, a redacted message and stack, and a code.
   * Never the error object itself: library errors carry request configs, headers and bodies
   * (axios `config.headers`, body-parser `body`), which would bypass any message redaction.
   */
  summarize(error: unknown): ErrorSummary {
    if (!(error instanceof Error)) {
      return { type: typeof error, message: MASK };
    }
    const code = (error as { code?: unknown }).code;
    return {
      type: error.name,
      message: this.redact(error.message),
      ...(error.stack ? { stack: this.redact(error.stack) } : {}),
      ...(typeof code === 'string' ? { code: this.redact(code) } : {}),
    };
  }
}
