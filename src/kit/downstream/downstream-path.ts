import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '../security/problem.exception';

/** A literal template segment: RFC 3986 unreserved characters only, so it needs no encoding. */
const LITERAL = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;
const PARAM = /^\{([A-Za-z][A-Za-z0-9_]*)\}$/;
const MAX_VALUE_LENGTH = 256;

/**
 * The path of one downstream call, built from a constant template (`/inventory/{id}`) and the
 * values of its parameters. The template is what the log shows; the path is what is sent.
 *
 * Security (OWASP API7:2023 SSRF, ASVS 1.3.6): the result is always a path under the configured
 * base URL, never an absolute URL. Each value fills exactly one segment and is percent-encoded
 * with encodeURIComponent, so `/`, `?`, `#` and `%` in a value cannot add a segment, start a
 * query, or smuggle an escape. `.` and `..` are refused as values, since encodeURIComponent
 * leaves dots alone and a downstream that normalizes paths (RFC 3986 §5.2.4) would climb out
 * of the template.
 */
export class DownstreamPath {
  private constructor(
    readonly template: string,
    readonly path: string,
  ) {}

  /**
   * A bad template or a missing/unused parameter is a programming error (an Error, a 500). A
   * value that cannot fill a segment came from input, so it is a 400 problem with no echo.
   */
  static build(
    base: URL,
    template: string,
    params: Readonly<Record<string, string>>,
  ): DownstreamPath {
    if (!template.startsWith('/')) throw new Error('downstream path template must start with /');
    const used = new Set<string>();
    const segments = template
      .slice(1)
      .split('/')
      .map((segment) => {
        const param = PARAM.exec(segment)?.[1];
        if (param === undefined) {
          if (!LITERAL.test(segment)) throw new Error('invalid downstream path template segment');
          return segment;
        }
        if (!Object.hasOwn(params, param)) throw new Error('missing downstream path parameter');
        used.add(param);
        return DownstreamPath.encode(params[param]);
      });
    if (Object.keys(params).some((name) => !used.has(name))) {
      throw new Error('unused downstream path parameter');
    }
    const prefix = base.pathname.replace(/\/+$/, '');
    return new DownstreamPath(template, `${prefix}/${segments.join('/')}`);
  }

  private static encode(value: unknown): string {
    if (
      typeof value !== 'string' ||
      value.length === 0 ||
      value.length > MAX_VALUE_LENGTH ||
      value === '.' ||
      value === '..'
    ) {
      throw DownstreamPath.rejected();
    }
    try {
      return encodeURIComponent(value);
    } catch {
      // A lone UTF-16 surrogate has no UTF-8 form: URIError.
      throw DownstreamPath.rejected();
    }
  }

  private static rejected(): ProblemException {
    return new ProblemException(HttpStatus.BAD_REQUEST, {
      reason: 'downstream_path_param_rejected',
      detail: 'A path parameter is not acceptable.',
    });
  }
}
