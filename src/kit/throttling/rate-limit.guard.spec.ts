import { randomBytes } from 'node:crypto';
import type { ExecutionContext } from '@nestjs/common';
import type { PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { RedisConnection } from '../redis/redis-connection';
import { ProblemException } from '../security/problem.exception';
import { RequestContext } from '../security/request-context';
import type { WindowCount } from './fixed-windows';
import { RateLimitCounter } from './rate-limit.counter';
import { RateLimitGuard } from './rate-limit.guard';

class ItemsController {
  list(): void {}
  create(): void {}
}
class KeysController {
  list(): void {}
}

/** A request as Express hands it to the guard, and the headers the guard set on its response. */
interface Call {
  context: ExecutionContext;
  request: { ip: string | undefined; route: { path: string } };
  headers: Map<string, string>;
}

function call(
  ip: string | undefined,
  handler = 'list',
  controller: object = ItemsController,
): Call {
  const request = { ip, route: { path: '/items' } };
  const headers = new Map<string, string>();
  const response = { setHeader: (name: string, value: string) => headers.set(name, value) };
  const context = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
    getClass: () => controller,
    getHandler: () => (controller as { prototype: Record<string, unknown> }).prototype[handler],
  } as unknown as ExecutionContext;
  return { context, request, headers };
}

/** The 429 a refused call throws. */
function refusal(run: () => unknown): ProblemException {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('the request was admitted');
}

/** Counted in process, the guard answers at once: a boolean, never a promise. */
function admit(guard: RateLimitGuard, context: ExecutionContext): boolean {
  const verdict = guard.canActivate(context);
  if (typeof verdict !== 'boolean') throw new Error('the guard did not answer synchronously');
  return verdict;
}

describe('RateLimitGuard', () => {
  const config = AppConfig.fromEnv({
    NODE_ENV: 'test',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    RATE_LIMIT_MAX: '3',
    RATE_LIMIT_WINDOW_SECONDS: '10',
  });
  let clock: number;
  let guard: RateLimitGuard;

  beforeEach(() => {
    clock = Date.UTC(2030, 0, 1);
    jest.spyOn(Date, 'now').mockImplementation(() => clock);
    // Redis is not configured: the real counter counts in process, on the mocked clock.
    const counter = new RateLimitCounter(config, new RedisConnection(config), {} as PinoLogger);
    guard = new RateLimitGuard(config, counter);
  });
  afterEach(() => jest.restoreAllMocks());

  it('when a client stays within the limit, it is admitted at once and the headers count down', () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { context, headers } = call('192.0.2.1');
      expect(admit(guard, context)).toBe(true);
      expect(headers.get('X-RateLimit-Limit')).toBe('3');
      remaining.push(headers.get('X-RateLimit-Remaining') ?? '');
    }
    expect(remaining).toEqual(['2', '1', '0']);
  });

  it('when the window is partly over, X-RateLimit-Reset gives the seconds left, rounded up', () => {
    admit(guard, call('192.0.2.1').context);
    clock += 2500;
    const { context, headers } = call('192.0.2.1');
    admit(guard, context);
    expect(headers.get('X-RateLimit-Reset')).toBe('8');
  });

  it('when a client exceeds the limit, it gets 429 rate_limited with Retry-After and no count headers', () => {
    for (let i = 0; i < 3; i++) admit(guard, call('192.0.2.1').context);
    clock += 4200;
    const { context, headers } = call('192.0.2.1');
    const problem = refusal(() => admit(guard, context));
    expect(problem.getStatus()).toBe(429);
    expect(problem.problem).toEqual({ reason: 'rate_limited', headers: { 'Retry-After': '6' } });
    expect([...headers.keys()]).toEqual([]);
  });

  it('when the window ends, the client is admitted again with a full allowance', () => {
    for (let i = 0; i < 4; i++) {
      try {
        admit(guard, call('192.0.2.1').context);
      } catch {
        // the fourth is refused
      }
    }
    clock += 10_000;
    const { context, headers } = call('192.0.2.1');
    expect(admit(guard, context)).toBe(true);
    expect(headers.get('X-RateLimit-Remaining')).toBe('2');
  });

  it.each([
    ['another client address', call('192.0.2.2')],
    ['another handler of the same controller', call('192.0.2.1', 'create')],
    ['the same handler name on another controller', call('192.0.2.1', 'list', KeysController)],
  ])('when one client is over the limit on a route, %s is counted apart', (_case, other) => {
    for (let i = 0; i < 3; i++) admit(guard, call('192.0.2.1').context);
    expect(() => admit(guard, call('192.0.2.1').context)).toThrow(ProblemException);
    expect(admit(guard, other.context)).toBe(true);
    expect(other.headers.get('X-RateLimit-Remaining')).toBe('2');
  });

  it('when requests come from addresses in one IPv6 /64, they share one count', () => {
    for (const host of [':1', ':2', 'ffff:ffff:ffff:ffff']) {
      admit(guard, call(`2001:db8:1:2:${host}`).context);
    }
    expect(() => admit(guard, call('2001:db8:1:2::9').context)).toThrow(ProblemException);
    expect(admit(guard, call('2001:db8:1:3::1').context)).toBe(true);
  });

  it('when it admits or refuses a request, the route template is recorded for the access line', () => {
    const admitted = call('192.0.2.7');
    admit(guard, admitted.context);
    expect(RequestContext.routeOf(admitted.request)).toBe('/items');
    for (let i = 0; i < 2; i++) admit(guard, call('192.0.2.7').context);
    const refused = call('192.0.2.7');
    expect(() => admit(guard, refused.context)).toThrow(ProblemException);
    expect(RequestContext.routeOf(refused.request)).toBe('/items');
  });

  describe('counted through Redis (a promise)', () => {
    const through = (count: WindowCount): RateLimitGuard =>
      new RateLimitGuard(config, {
        hit: () => Promise.resolve(count),
      } as unknown as RateLimitCounter);

    it('when within the limit, the promise admits and sets the headers', async () => {
      const { context, headers } = call('192.0.2.1');
      await expect(through({ hits: 1, resetMs: 59_001 }).canActivate(context)).resolves.toBe(true);
      expect(Object.fromEntries(headers)).toEqual({
        'X-RateLimit-Limit': '3',
        'X-RateLimit-Remaining': '2',
        'X-RateLimit-Reset': '60',
      });
    });

    it.each([
      [0, '1'],
      [1, '1'],
      [1000, '1'],
      [1001, '2'],
    ])(
      'when over the limit with %s ms left, Retry-After is %s (never below 1)',
      async (ms, header) => {
        const refused = through({ hits: 4, resetMs: ms }).canActivate(call('192.0.2.1').context);
        await expect(refused).rejects.toMatchObject({
          problem: { reason: 'rate_limited', headers: { 'Retry-After': header } },
        });
      },
    );
  });
});

describe('RateLimitGuard.client', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['::ffff:10.0.0.7', '10.0.0.7'],
    ['2001:DB8:0:0:0:0:0:AB', '2001:db8::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80::/64'],
  ])('when the address is %s, the client is %s', (ip, client) => {
    expect(RateLimitGuard.client(ip)).toBe(client);
  });

  it.each([
    ['empty', ''],
    ['missing (the socket is gone)', undefined],
    ['text a client wrote into X-Forwarded-For', `}{evil ${'x'.repeat(4096)}`],
    ['an address with text after it', '127.0.0.1 x'],
    ['an address with a letter beyond f', '2001:db8::g'],
    ['46 characters of address text', `${'0'.repeat(40)}:::::1`],
    ['an address with a four-digit prefix length', '2001:db8::/1280'],
  ])('when it is %s, the client is a fixed-size hash of it', (_case, ip) => {
    const client = RateLimitGuard.client(ip);
    expect(client).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(RateLimitGuard.client(ip)).toBe(client);
    expect(RateLimitGuard.client(`${ip ?? ''}y`)).not.toBe(client);
  });

  it('when the address is missing, the client is the one of an empty address', () => {
    expect(RateLimitGuard.client(undefined)).toBe(RateLimitGuard.client(''));
  });
});
