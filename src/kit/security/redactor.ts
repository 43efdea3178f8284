import { Inject, Injectable } from '@nestjs/common';
import { DevKeyMaterial } from '../auth/dev-key-material';
import { AppConfig } from '../config/app-config';
import { RequestContext } from './request-context';
import { CREDENTIAL_QUERY_PARAMS } from './sensitive-names';

const MASK = '[REDACTED]';
/** Values shorter than this are not matched exactly: too many false hits, too little secret. */
const MIN_EXACT = 8;
/** The most text one redaction looks at; longer text is cut to this length first. */
const MAX_LENGTH = 64 * 1024;

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/**
 * Secret-shaped text: PEM blocks, JWTs, our API keys, HTTP auth schemes, credential query
 * values, URL userinfo. A pattern's one capture group, when it has one, is kept in front of the
 * mask (`?token=`, `//user:`).
 *
 * Security: each pattern runs in time linear in the text, whatever the text (OWASP ReDoS): no
 * two adjacent quantified parts can match the same characters, and no start position rescans
 * text a failed earlier start already scanned. The JWT pattern is the one where that takes care:
 * a JWT starts at `eyJ` after a word boundary, which inside one run of base64url characters can
 * be after every `-`; scanning each such run from every `eyJ` in it to look for the `.` is
 * quadratic. So the pattern starts only where a run starts, checks once that the run is followed
 * by a `.`, and skips `-`-separated pieces of the run up to the first one that starts with `eyJ`
 * (kept, through the capture group).
 */
const AUTH_SCHEME = /\b(?:Bearer|Basic|Digest|Negotiate)\s+[A-Za-z0-9._~+/=-]+/gi;
const SHAPES: readonly RegExp[] = [
  /-----BEGIN [A-Z ]+-----[\s\S]*?(?:-----END [A-Z ]+-----|$)/g,
  /(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*\.)((?:[A-Za-z0-9_]*-)*?)eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g,
  /\blp_(?:live|test)_[A-Za-z0-9_]+/g,
  AUTH_SCHEME,
  new RegExp(`([?&;](?:${CREDENTIAL_QUERY_PARAMS.map(escape).join('|')})=)[^&#\\s"']*`, 'gi'),
  /(\/\/[^/\s:@]*:)[^@/\s]+(?=@)/g,
];

/**
 * The shapes free text is refused for. In a log line any word after "Basic" may be masked at no
 * cost, but a name like "Basic widget" is ordinary text: here a scheme counts only when written
 * as a header writes it and followed by a credential-length token (16+ characters, as RFC 7617's
 * base64 of "user:password" and any opaque bearer token are).
 */
const FREE_TEXT_SHAPES: readonly RegExp[] = SHAPES.map((shape) =>
  shape === AUTH_SCHEME ? /\b(?:Bearer|Basic|Digest|Negotiate) +[A-Za-z0-9._~+/=-]{16}/ : shape,
);

/** Matches wherever any of SHAPES could match (case-insensitive, so a superset of each). */
const ANY_SHAPE = new RegExp(SHAPES.map((shape) => `(?:${shape.source})`).join('|'), 'i');

/** A URL userinfo whose password runs to the end of the text: what a cut can leave behind. */
const OPEN_USERINFO = /\/\/[^/\s:@]*:[^@/\s]*$/y;

export interface ErrorSummary {
  type: string;
  message: string;
  stack?: string;
  code?: string;
}

/**
 * The redaction core (docs/threat-model.md §2, §3). It removes, from any text we are about to
 * write: the exact value of every configured secret, the exact credentials of the current
 * request, and anything shaped like a secret. The logger (every log line, the outbound client's
 * included), the exception filter, the security headers, the free-text rule and the start-up
 * failure message all go through it.
 *
 * Cost: linear in the text, and bounded: text longer than MAX_LENGTH is cut to it, with a marker
 * saying how much was cut, before anything is matched. It is applied to log messages, error
 * summaries and header values; it is never run over response bodies on the success path.
 */
@Injectable()
export class Redactor {
  static readonly MAX_LENGTH = MAX_LENGTH;

  private readonly configured: readonly string[];

  /** `devKeys`: the development key material when the app uses it, whose values are secrets too. */
  constructor(config: AppConfig, @Inject(DevKeyMaterial) devKeys: DevKeyMaterial | null) {
    this.configured = [...config.secrets(), ...(devKeys?.secrets() ?? [])]
      .map((s) => s.reveal())
      .filter((v) => v.length >= MIN_EXACT)
      .sort((a, b) => b.length - a.length);
  }

  /** Masks configured secrets, the current request's credentials and secret shapes. */
  redact(text: string): string {
    return this.redactWith(text, this.exactValues());
  }

  /**
   * Masks configured secrets and secret shapes, but not the current request's credentials: for
   * text the server builds from its own closed vocabulary (event names, reason codes, route
   * templates, ids). Security: a client chooses its credentials, so matching them exactly
   * against such text would let it blank any field of its own log line by sending that field's
   * value as a credential. Configured secrets and shapes cannot be chosen by a client.
   */
  redactServerText(text: string): string {
    return this.redactWith(text, this.configured);
  }

  /**
   * True when the text holds a configured secret, a request credential or a secret shape, that
   * is, when `redact()` would mask something in it. Linear in the text, uncut.
   *
   * The security headers ask this of response headers on every request. Most values hold
   * nothing, so a cheap test comes first: `redact()` can mask something only if an exact value
   * occurs in the text or some shape matches it, and the test looks for exactly those (ANY_SHAPE
   * matches wherever a shape would). When it finds nothing the answer is `false` with no
   * replacement work; when it finds something the full masking decides.
   */
  containsSecret(text: string): boolean {
    if (!this.mayHoldSecret(text)) return false;
    // Uncut: a long text that holds nothing is not a secret just because redact() would cut it.
    return Redactor.mask(text, this.exactValues()) !== text;
  }

  /** True when the text holds the exact value of a configured secret. */
  containsConfiguredSecret(text: string): boolean {
    return this.configured.some((value) => text.includes(value));
  }

  /**
   * True when the text holds something shaped like a secret (a JWT, one of our API keys, a PEM
   * block, ...): the rule that free-text input fields apply, so a credential pasted into a name
   * is refused instead of stored and shown to every reader. Linear in the text, uncut.
   */
  static hasSecretShape(text: string): boolean {
    return FREE_TEXT_SHAPES.some((shape) => {
      shape.lastIndex = 0;
      return shape.test(text);
    });
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

  /**
   * The configured secrets and the request's credentials, longest first, so that a value holding
   * another (`abc…` and `abc…xyz`) is masked whole instead of leaving its tail in clear.
   */
  private exactValues(): readonly string[] {
    const request = Redactor.requestCredentials();
    if (request.length === 0) return this.configured;
    return [...this.configured, ...request].sort((a, b) => b.length - a.length);
  }

  private static requestCredentials(): string[] {
    return RequestContext.credentials().filter((value) => value.length >= MIN_EXACT);
  }

  private redactWith(text: string, values: readonly string[]): string {
    if (text.length <= MAX_LENGTH) return Redactor.mask(text, values);
    const end = Redactor.cutPoint(text, values);
    return `${Redactor.mask(text.slice(0, end), values)}[TRUNCATED: ${text.length - end} more characters]`;
  }

  /**
   * Where to cut text that is too long: at MAX_LENGTH, moved back so that the cut never leaves
   * the beginning of a secret that would no longer be recognised once its end is gone. That is
   * an exact value running across the cut, or a URL password whose `@` lies beyond it; every
   * other shape still matches what is left of it (a JWT cut in its first segment has shown only
   * its header).
   */
  private static cutPoint(text: string, values: readonly string[]): number {
    let end = MAX_LENGTH;
    for (let moved = true; moved;) {
      moved = false;
      for (const value of values) {
        const from = Math.max(0, end - value.length + 1);
        const at = text.slice(from, end + value.length - 1).indexOf(value);
        if (at >= 0 && from + at < end) {
          end = from + at;
          moved = true;
        }
      }
    }
    const slashes = text.lastIndexOf('//', end - 2);
    if (slashes >= 0) {
      OPEN_USERINFO.lastIndex = slashes;
      if (OPEN_USERINFO.test(text.slice(0, end))) end = text.indexOf(':', slashes) + 1;
    }
    return end;
  }

  private static mask(text: string, values: readonly string[]): string {
    let out = text;
    for (const value of values) {
      if (out.includes(value)) out = out.replaceAll(value, MASK);
    }
    // Most text holds no shape (messages, route templates, ids): one scan with the combined
    // pattern, a superset of every shape, spares it the six replacements.
    if (!ANY_SHAPE.test(out)) return out;
    for (const shape of SHAPES) {
      out = out.replace(shape, (_match: string, keep?: unknown) =>
        typeof keep === 'string' ? `${keep}${MASK}` : MASK,
      );
    }
    return out;
  }

  private mayHoldSecret(text: string): boolean {
    for (const value of this.configured) {
      if (text.includes(value)) return true;
    }
    for (const value of Redactor.requestCredentials()) {
      if (text.includes(value)) return true;
    }
    return ANY_SHAPE.test(text);
  }
}
