import { ProblemException } from '../security/problem.exception';
import { DownstreamPath } from './downstream-path';

const base = new URL('http://inventory.internal:8080');
const build = (value: string, template = '/inventory/{id}', at = base): string =>
  DownstreamPath.build(at, template, { id: value }).path;

function rejection(value: string): ProblemException {
  try {
    build(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemException);
    return error as ProblemException;
  }
  throw new Error('expected the value to be refused');
}

describe(DownstreamPath.name, () => {
  it('when the value is plain, it fills its segment and the template is kept for the log', () => {
    const path = DownstreamPath.build(base, '/inventory/{id}/levels', { id: 'abc-123' });
    expect(path.path).toBe('/inventory/abc-123/levels');
    expect(path.template).toBe('/inventory/{id}/levels');
  });

  it('when the base URL has a path prefix, the path goes under it', () => {
    expect(build('a', '/inventory/{id}', new URL('http://h/api/v2/'))).toBe('/api/v2/inventory/a');
    expect(build('a', '/inventory/{id}', new URL('http://h/api/v2'))).toBe('/api/v2/inventory/a');
    expect(build('a', '/inventory/{id}', new URL('http://h/api//'))).toBe('/api/inventory/a');
  });

  it('when the value holds / ? # % or spaces, they are encoded into one segment', () => {
    expect(build('a/b?c=d#e%f g')).toBe('/inventory/a%2Fb%3Fc%3Dd%23e%25f%20g');
  });

  it('when the value tries traversal with slashes or escapes, it stays one segment', () => {
    expect(build('../../admin')).toBe('/inventory/..%2F..%2Fadmin');
    expect(build('%2e%2e')).toBe('/inventory/%252e%252e');
    expect(build('..\\admin')).toBe('/inventory/..%5Cadmin');
  });

  it('when the value is an absolute or scheme-relative URL, the result is still a local path', () => {
    for (const value of ['http://evil.example/x', '//evil.example/x', 'evil.example:80']) {
      const path = build(value);
      expect(path.startsWith('/inventory/')).toBe(true);
      expect(path.slice('/inventory/'.length)).not.toContain('/');
      expect(new URL(path, base).host).toBe(base.host);
    }
  });

  it('when the value is . or .. or empty, it is refused with a 400 that does not echo it', () => {
    for (const value of ['.', '..', '']) {
      const problem = rejection(value);
      expect(problem.getStatus()).toBe(400);
      expect(problem.problem).toEqual({
        reason: 'downstream_path_param_rejected',
        detail: 'A path parameter is not acceptable.',
      });
    }
  });

  it('when the value has a lone surrogate or is too long, it is refused with a 400', () => {
    expect(rejection('\uD800x').getStatus()).toBe(400);
    expect(rejection('a'.repeat(257)).getStatus()).toBe(400);
    expect(build('a'.repeat(256))).toBe(`/inventory/${'a'.repeat(256)}`);
  });

  it('when non-ASCII text is given, it is UTF-8 percent-encoded', () => {
    expect(build('é/ü')).toBe('/inventory/%C3%A9%2F%C3%BC');
  });

  it.each([
    'inventory/{id}',
    'http://evil.example/{id}',
    '//evil.example/{id}',
    '/inventory/../{id}',
    '/inventory/./{id}',
    '/inventory//{id}',
    '/inventory/{id}/',
    '/inventory/{id}?q=1',
    '/inventory/{id}#f',
    '/inventory/x{id}',
    '/inventory/{id',
    '/inventory/%2e%2e/{id}',
    '/inventory/a b/{id}',
    '/inventory/v1%2F/{id}',
  ])('when the template is %s, it is refused as a programming error', (template) => {
    expect(() => build('a', template)).toThrow(Error);
    expect(() => build('a', template)).not.toThrow(ProblemException);
  });

  it('when a template names several parameters of any length, each fills its segment', () => {
    const path = DownstreamPath.build(base, '/inventory/{itemId}/lots/{n}/{lot_no9}', {
      itemId: 'a',
      n: 'b',
      lot_no9: 'c',
    });
    expect(path.path).toBe('/inventory/a/lots/b/c');
  });

  it('when the template is malformed, the error says which rule it broke', () => {
    expect(() => build('a', 'inventory/{id}')).toThrow(
      'downstream path template must start with /',
    );
    expect(() => build('a', '/inventory/a b/{id}')).toThrow(
      'invalid downstream path template segment',
    );
  });

  it('when a parameter is missing or unused, it is refused as a programming error', () => {
    expect(() => DownstreamPath.build(base, '/inventory/{id}', {})).toThrow(
      'missing downstream path parameter',
    );
    expect(() => DownstreamPath.build(base, '/inventory/{id}', { id: 'a', extra: 'b' })).toThrow(
      'unused downstream path parameter',
    );
  });

  it('when the base URL would carry a query or credentials, none of it reaches the path', () => {
    expect(build('a', '/inventory/{id}', new URL('http://u:p@h/api?k=v#f'))).toBe(
      '/api/inventory/a',
    );
  });
});
