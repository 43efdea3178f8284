import { type ExecutionContext, HttpStatus } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { ProblemException } from '../security/problem.exception';
import { RequestContext } from '../security/request-context';
import { RateLimitGuard } from './rate-limit.guard';

/** The guard's own methods; they use none of the parts Nest injects. */
interface GuardMethods {
  canActivate(context: ExecutionContext): Promise<boolean>;
  generateKey(context: ExecutionContext, tracker: string, name: string): string;
  throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void>;
}
const guard = (): GuardMethods => Object.create(RateLimitGuard.prototype) as GuardMethods;

/** The limiter's storage key: plain for an address, hashed for anything else. */
describe('RateLimitGuard.generateKey', () => {
  class ItemsController {
    list = (): void => undefined;
  }
  const context = {
    getClass: () => ItemsController,
    getHandler: () => new ItemsController().list,
  } as unknown as ExecutionContext;
  // The key is a pure function of its arguments; the guard's injected parts play no role in it.
  const key = (tracker: string): string => guard().generateKey(context, tracker, 'default');
  const HASHED = /^ItemsController:list:default:[A-Za-z0-9_-]{43}$/;

  it.each([
    '127.0.0.1',
    '::1',
    '2001:db8::/56',
    '::ffff:10.0.0.7',
    '2001:DB8:0:0:0:0:0:AB',
    '10.0.0.0/8',
    '2001:db8::/128',
    // The longest address text: 45 characters.
    'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255',
  ])(
    'when the tracker is the address %s, the key names class, handler, throttler and address',
    (address) => {
      expect(key(address)).toBe(`ItemsController:list:default:${address}`);
    },
  );

  it('when the tracker is not address text, the key holds a fixed-size hash of it, not the text', () => {
    const forwarded = `}{evil ${'x'.repeat(4096)}`;
    const k = key(forwarded);
    expect(k).not.toContain('evil');
    expect(k).toMatch(/^ItemsController:list:default:[A-Za-z0-9_-]{43}$/);
    expect(key(forwarded)).toBe(k);
    expect(key(`${forwarded}y`)).not.toBe(k);
  });

  it.each([
    ['empty', ''],
    ['46 characters long', '0ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255'],
    ['an address with text before it', 'x127.0.0.1'],
    ['an address with text after it', '127.0.0.1 x'],
    ['an address with a letter beyond f', '2001:db8::g'],
    ['an address with a slash and no prefix length', '2001:db8::/'],
    ['an address with a four-digit prefix length', '2001:db8::/1280'],
    ['an address with a non-digit prefix length', '2001:db8::/ab'],
  ])('when the tracker is %s, it is hashed', (_case, tracker) => {
    expect(key(tracker)).toMatch(HASHED);
  });
});

describe('RateLimitGuard.canActivate', () => {
  afterEach(() => jest.restoreAllMocks());

  const contextOf = (type: string, request: object): ExecutionContext =>
    ({
      getType: () => type,
      switchToHttp: () => ({ getRequest: () => request }),
    }) as unknown as ExecutionContext;

  it('when an HTTP request is checked, its route template is recorded, then the limit decides', async () => {
    const limit = jest.spyOn(ThrottlerGuard.prototype, 'canActivate').mockResolvedValue(false);
    const request = { route: { path: '/items/:id' } };
    const context = contextOf('http', request);
    await expect(guard().canActivate(context)).resolves.toBe(false);
    expect(RequestContext.routeOf(request)).toBe('/items/:id');
    expect(limit).toHaveBeenCalledWith(context);
  });

  it('when the context is not HTTP, no route is recorded and the limit still decides', async () => {
    jest.spyOn(ThrottlerGuard.prototype, 'canActivate').mockResolvedValue(true);
    const request = { route: { path: '/items/:id' } };
    await expect(guard().canActivate(contextOf('rpc', request))).resolves.toBe(true);
    expect(RequestContext.routeOf(request)).toBeNull();
  });
});

describe('RateLimitGuard.throwThrottlingException', () => {
  const refusal = (timeToBlockExpire: number): ProblemException => {
    const detail = { timeToBlockExpire } as ThrottlerLimitDetail;
    try {
      void guard().throwThrottlingException({} as ExecutionContext, detail);
    } catch (error) {
      if (error instanceof ProblemException) return error;
      throw error;
    }
    throw new Error('nothing was thrown');
  };

  it('when over the limit, it is 429 with the closed reason rate_limited and Retry-After', () => {
    const problem = refusal(42);
    expect(problem.getStatus()).toBe(HttpStatus.TOO_MANY_REQUESTS);
    expect(problem.problem).toEqual({ reason: 'rate_limited', headers: { 'Retry-After': '42' } });
  });

  it.each([
    [0, '1'],
    [-3, '1'],
    [1, '1'],
    [2, '2'],
  ])('when the block ends in %s s, Retry-After is %s (never below 1)', (seconds, header) => {
    expect(refusal(seconds).problem.headers).toEqual({ 'Retry-After': header });
  });
});
