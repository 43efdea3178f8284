import { rawRequest } from './support/raw-http';
import { startTestApp, TestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';

/** Security headers and the CORS allowlist (checklist N9, N10; ASVS 3.4.x, 14.3.2). */
describe('HTTP hardening', () => {
  const tokens = new TokenFactory();
  let app: TestApp;
  let noCors: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ ...tokens.env(), CORS_ORIGINS: 'https://app.example.com' });
    noCors = await startTestApp(tokens.env());
  });
  afterAll(async () => {
    await app.close();
    await noCors.close();
  });

  const header = (text: string, name: string): string | undefined =>
    text
      .split('\n')
      .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      ?.slice(name.length + 1)
      .trim();

  it('when any response is sent, it has the security headers and no X-Powered-By', async () => {
    const res = await rawRequest(app.url, { method: 'GET', path: '/health/live' });
    expect(header(res.headerText, 'x-powered-by')).toBeUndefined();
    expect(header(res.headerText, 'x-content-type-options')).toBe('nosniff');
    expect(header(res.headerText, 'content-security-policy')).toContain("frame-ancestors 'none'");
    expect(header(res.headerText, 'referrer-policy')).toBe('no-referrer');
    expect(header(res.headerText, 'strict-transport-security')).toMatch(/max-age=\d{8}/);
    expect(header(res.headerText, 'x-frame-options')).toBe('DENY');
    expect(header(res.headerText, 'cross-origin-resource-policy')).toBe('same-origin');
    expect(header(res.headerText, 'cross-origin-opener-policy')).toBe('same-origin');
  });

  it('when any response is sent, helmet leaves out its legacy headers for old browsers', async () => {
    const res = await rawRequest(app.url, { method: 'GET', path: '/health/live' });
    for (const legacy of [
      'x-xss-protection',
      'x-download-options',
      'x-dns-prefetch-control',
      'x-permitted-cross-domain-policies',
      'origin-agent-cluster',
    ]) {
      expect(header(res.headerText, legacy)).toBeUndefined();
    }
  });

  it('when an authenticated response is sent, it is marked no-store', async () => {
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: '/items',
      headers: { authorization: `Bearer ${tokens.rs256()}` },
    });
    expect(res.status).toBe(200);
    expect(header(res.headerText, 'cache-control')).toBe('no-store');
  });

  it('when the Origin is allowlisted, it is echoed with Vary: Origin and auth headers are not exposed', async () => {
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: '/health/live',
      headers: { origin: 'https://app.example.com' },
    });
    expect(header(res.headerText, 'access-control-allow-origin')).toBe('https://app.example.com');
    expect(header(res.headerText, 'vary')).toMatch(/Origin/);
    expect(header(res.headerText, 'access-control-allow-credentials')).toBeUndefined();
    const exposed = header(res.headerText, 'access-control-expose-headers') ?? '';
    expect(exposed.toLowerCase()).not.toMatch(/authorization|x-api-key|cookie/);
  });

  it.each(['https://evil.example', 'null', 'https://app.example.com.evil.example'])(
    'when the Origin is %s, no Access-Control-Allow-Origin is sent, on requests and preflights',
    async (origin) => {
      const get = await rawRequest(app.url, { method: 'GET', path: '/items', headers: { origin } });
      expect(header(get.headerText, 'access-control-allow-origin')).toBeUndefined();
      const preflight = await rawRequest(app.url, {
        method: 'OPTIONS',
        path: '/items',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(header(preflight.headerText, 'access-control-allow-origin')).toBeUndefined();
    },
  );

  it('when CORS_ORIGINS is empty, no CORS header is ever sent', async () => {
    const res = await rawRequest(noCors.url, {
      method: 'GET',
      path: '/health/live',
      headers: { origin: 'https://app.example.com' },
    });
    expect(res.headerText.toLowerCase()).not.toContain('access-control-');
  });
});
