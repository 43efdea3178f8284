import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DevIssuer } from '../src/kit/auth/dev-issuer';
import { DevKeyMaterial } from '../src/kit/auth/dev-key-material';
import { closeStarted } from './support/cleanup';
import { FixtureModule } from './support/fixture/fixture.module';
import { WIDGET_SCOPES } from './support/fixture/widget.schema';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The development issuer, with no key source configured: the app's DevKeyMaterial provider
 * creates the key files at start, the issuer signs with them, the JWKS publishes the public key
 * and the verifier accepts the issuer's tokens.
 */
describe('DevIssuer', () => {
  const root = mkdtempSync(join(tmpdir(), 'lp-dev-issuer-'));
  const dir = join(root, 'keys');
  let app: TestApp | undefined;

  beforeAll(async () => {
    app = await startTestApp({ DEV_KEYS_DIR: dir }, [FixtureModule]);
  });
  afterAll(async () => {
    await closeStarted(app);
    rmSync(root, { recursive: true, force: true });
  });

  it('when the app starts with no key source, the key files exist and the JWKS names their key', async () => {
    expect(existsSync(join(dir, 'jwt-signing-key.pem'))).toBe(true);
    expect(existsSync(join(dir, 'api-key-pepper'))).toBe(true);
    const started = app as TestApp;
    const keys = started.app.get(DevKeyMaterial);
    const res = await request(started.url).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      keys: [expect.objectContaining({ kid: keys.kid, kty: 'RSA', alg: 'RS256', use: 'sig' })],
    });
  });

  it('when a token comes from the development issuer, a JWT route accepts it', async () => {
    const started = app as TestApp;
    const token = started.app
      .get(DevIssuer)
      .mint({ subject: 'alice', scopes: [WIDGET_SCOPES.read] });
    const ok = await request(started.url)
      .get('/fixture/widgets')
      .set('Authorization', `Bearer ${token}`);
    expect(ok.status).toBe(200);
  });
});
