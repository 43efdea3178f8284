import type { ExecutionContext } from '@nestjs/common';
import { RateLimitGuard } from './rate-limit.guard';

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
  const key = (tracker: string): string =>
    (
      Object.create(RateLimitGuard.prototype) as {
        generateKey(c: ExecutionContext, t: string, n: string): string;
      }
    ).generateKey(context, tracker, 'default');

  it.each(['127.0.0.1', '::1', '2001:db8::/56', '::ffff:10.0.0.7'])(
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
});
