import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { RequestContext } from './request-context';
import { RequestContextMiddleware } from './request-context.middleware';
import { CREDENTIAL_HEADERS, CREDENTIAL_QUERY_PARAMS } from './sensitive-names';

/** Opaque, shapeless: no redaction pattern would recognise it, only its registration does. */
const opaque = (): string => randomBytes(12).toString('hex');

/** The credentials the middleware registered, read where the rest of the request runs. */
function registered(url: string, headers: Record<string, string | string[]> = {}): string[] {
  let seen: readonly string[] | undefined;
  RequestContextMiddleware.handle({ url, headers } as unknown as Request, {} as Response, () => {
    seen = RequestContext.credentials();
  });
  if (!seen) throw new Error('next was not called');
  return [...seen];
}

describe('RequestContextMiddleware', () => {
  it('when the request carries no credential, nothing is registered and next runs in a context', () => {
    let requestId: string | undefined;
    RequestContextMiddleware.handle(
      { url: '/items', headers: { accept: 'application/json' } } as unknown as Request,
      {} as Response,
      () => {
        requestId = RequestContext.requestId();
      },
    );
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(registered('/items', { accept: 'application/json' })).toEqual([]);
  });

  it('when an X-API-Key is plain text with no shape, the whole value is registered once', () => {
    const key = opaque();
    expect(registered('/items', { 'x-api-key': key })).toEqual([key]);
  });

  it.each(CREDENTIAL_HEADERS)(
    'when the %s header carries "Scheme value", the header and its value are registered',
    (name) => {
      const token = opaque();
      expect(registered('/items', { [name]: `Bearer ${token}` })).toEqual([
        `Bearer ${token}`,
        token,
      ]);
    },
  );

  it('when the scheme is followed by several spaces, the value is registered without them', () => {
    const token = opaque();
    expect(registered('/', { authorization: `Basic   ${token} ` })).toEqual([
      `Basic   ${token} `,
      token,
    ]);
  });

  it('when a header value starts with its space, no empty scheme is split off', () => {
    const token = opaque();
    expect(registered('/', { authorization: ` ${token}` })).toEqual([` ${token}`]);
  });

  it('when a header other than cookie holds "name=value", only the whole value is registered', () => {
    const value = `k=${opaque()}`;
    expect(registered('/', { 'x-api-key': value })).toEqual([value]);
  });

  it('when a header arrives as an array (Set-Cookie), each of its values is registered', () => {
    const [a, b] = [`a=${opaque()}`, `b=${opaque()}; Path=/`];
    expect(registered('/', { 'set-cookie': [a, b] })).toEqual([a, b, 'Path=/']);
  });

  it('when cookies are sent, the header and each cookie value are registered', () => {
    const [session, csrf] = [opaque(), opaque()];
    const header = `sid=${session};csrf=${csrf}`;
    expect(registered('/', { cookie: header })).toEqual([header, session, csrf]);
  });

  it('when cookies are separated browser-style by "; ", each cookie value is registered', () => {
    const [session, csrf] = [opaque(), opaque()];
    const header = `sid=${session}; csrf=${csrf}`;
    // The text after the first space is registered too, as for "Scheme value" headers.
    expect(registered('/', { cookie: header })).toEqual([header, `csrf=${csrf}`, session, csrf]);
  });

  it('when a cookie value ends in optional whitespace (a tab), it is registered without it', () => {
    const session = opaque();
    expect(registered('/', { cookie: `sid=${session}\t` })).toEqual([`sid=${session}\t`, session]);
  });

  it('when a cookie pair has no name or no "=", its text is not registered on its own', () => {
    const [orphan, bare, session] = [opaque(), opaque(), opaque()];
    const header = `=${orphan};${bare};sid=${session}`;
    expect(registered('/', { cookie: header })).toEqual([header, session]);
  });

  it('when ?access_token= carries a value, the raw value is registered, then its decoding', () => {
    const token = opaque();
    expect(registered(`/items?access_token=${token}`)).toEqual([token, token]);
    expect(registered(`/items?access_token=${token}%2F%2B`)).toEqual([
      `${token}%2F%2B`,
      `${token}/+`,
    ]);
  });

  it('when a query value holds "+", it is also registered as the space a form means', () => {
    expect(registered('/?token=a+b')).toEqual(['a+b', 'a b']);
  });

  it('when a query value has a malformed escape, only the raw value is registered', () => {
    expect(registered('/?token=%E0%A4%A')).toEqual(['%E0%A4%A']);
  });

  it.each([
    ['TOKEN', 'upper case'],
    ['Api_Key', 'mixed case'],
    ['token[]', 'a bracket suffix'],
    ['token[0]', 'an indexed bracket suffix'],
    ['access%5Ftoken', 'a percent-encoded name'],
    ['ACCESS%5fTOKEN%5B%5D', 'an encoded, upper-case, bracketed name'],
  ])('when the name is %s (%s), its value is registered', (name) => {
    const value = opaque();
    expect(registered(`/?${name}=${value}`)).toEqual([value, value]);
  });

  it.each(CREDENTIAL_QUERY_PARAMS)(
    'when the credential parameter %s is among others, only its value is registered',
    (name) => {
      const value = opaque();
      expect(registered(`/search?q=${opaque()}&${name}=${value}&page=2`)).toEqual([value, value]);
    },
  );

  it('when query values are not under a credential name, none is registered', () => {
    expect(
      registered(`/search?q=${opaque()}&page=2&tokens=${opaque()}&x_token=${opaque()}`),
    ).toEqual([]);
  });

  it('when a query pair has no "=", it is not registered, even if its name ends like one', () => {
    expect(registered('/?tokens&keys&q')).toEqual([]);
  });

  it('when a parameter name is a malformed escape, it is compared as sent and nothing throws', () => {
    const value = opaque();
    expect(registered(`/?%ZZ=${opaque()}&token%E0=${opaque()}&token=${value}`)).toEqual([
      value,
      value,
    ]);
  });

  it('when a credential parameter repeats, each value is registered', () => {
    const [first, second] = [opaque(), opaque()];
    expect(registered(`/?token=${first}&token=${second}`)).toEqual([first, first, second, second]);
  });

  it('when the query starts the URL, its credential is still registered', () => {
    const token = opaque();
    expect(registered(`?token=${token}`)).toEqual([token, token]);
  });

  it('when the URL has no query, a path segment shaped like a pair is not registered', () => {
    expect(registered(`token=${opaque()}`)).toEqual([]);
  });

  it('when next has returned, the credentials are no longer reachable', () => {
    registered(`/?token=${opaque()}`, { authorization: `Bearer ${opaque()}` });
    expect(RequestContext.credentials()).toEqual([]);
  });
});
