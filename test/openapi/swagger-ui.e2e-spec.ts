import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { closeStarted } from '../support/cleanup';
import { startTestApp, TestApp } from '../support/test-app';
import { FixtureTokens } from '../support/fixture/fixture-tokens';
import { FixtureModule } from '../support/fixture/fixture.module';

/**
 * Swagger UI in a real Chromium (Debian's `chromium`, driven by playwright-core).
 *
 * Where Chromium is absent this test FAILS, everywhere, with a message saying how to install
 * it: a skipped browser check is a check that silently stops protecting. `.ci/run` installs the
 * package when /usr/bin/chromium is missing; elsewhere set CHROMIUM_PATH to a Chromium or Chrome.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
/** Set UPDATE_DOCS_IMAGES=1 to refresh the README screenshot; otherwise it goes to test-results/. */
const SCREENSHOT = process.env.UPDATE_DOCS_IMAGES
  ? join(ROOT, 'docs', 'images', 'authorize.png')
  : join(ROOT, 'test-results', 'authorize.png');

describe('Swagger UI', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`,
      );
    }
    app = await startTestApp(tokens.env(), [FixtureModule]);
    profile = mkdtempSync(join(tmpdir(), 'lp-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
    // Security: the page may talk to the app only; anything else (a validator badge, a CDN)
    // would send the document or a token off the machine.
    await context.route(
      (url) => url.origin !== new URL(app.url).origin,
      (route) => route.abort(),
    );
    page = context.pages()[0] ?? (await context.newPage());
  }, 60_000);

  afterAll(async () => {
    await closeStarted(context, app);
    rmSync(profile, { recursive: true, force: true });
  });

  async function openDocs(): Promise<void> {
    await page.goto(`${app.url}/docs`);
    await page.locator('button.authorize').first().waitFor();
  }

  async function tryListWidgets(): Promise<string> {
    const operation = page.locator('#operations-fixture-WidgetsController_list');
    if (!(await operation.locator('.try-out__btn').isVisible())) {
      await operation.locator('.opblock-summary').first().click();
    }
    const tryOut = operation.locator('button.try-out__btn');
    if ((await tryOut.textContent())?.trim() === 'Try it out') await tryOut.click();
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table .response .response-col_status');
    await status.first().waitFor();
    return ((await status.first().textContent()) ?? '').trim();
  }

  /** Whether the browser kept the token anywhere a script or a later visit could read it. */
  async function stored(token: string): Promise<{ storage: boolean; cookies: boolean }> {
    const storage = await page.evaluate(() =>
      JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)]),
    );
    const cookies = JSON.stringify(await context.cookies());
    // Booleans, not the text: a failure message must not print the token.
    return { storage: storage.includes(token), cookies: cookies.includes(token) };
  }

  it('when the Authorize dialog opens, it shows the bearer and API-key schemes separately', async () => {
    await openDocs();
    await page.locator('button.authorize').first().click();
    const dialog = page.locator('.modal-ux');
    await dialog.waitFor();
    const containers = dialog.locator('.auth-container');
    expect(await containers.count()).toBe(2);
    const headings = (await containers.locator('h4').allTextContents()).map((h) =>
      h.replace(/\s+/g, ' ').trim(),
    );
    expect(headings).toEqual(['bearer (http, Bearer)', 'apiKey (apiKey)']);
    // One form and one value field per scheme: neither can be sent in place of the other.
    expect(await containers.nth(0).locator('input').count()).toBe(1);
    expect(await containers.nth(1).locator('input').count()).toBe(1);
    expect(await containers.nth(1).textContent()).toContain('X-API-Key');
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await dialog.screenshot({ path: SCREENSHOT });
  });

  it('when authorized with a token, "Try it out" on GET /fixture/widgets answers 200, and 401 after a reload', async () => {
    const token = tokens.rs256({ scope: 'widgets:read' });
    const dialog = page.locator('.modal-ux');
    const bearer = dialog.locator('.auth-container').nth(0);
    await bearer.locator('input').fill(token);
    await bearer.locator('button.authorize').click();
    await bearer.locator('button.btn-done').click();
    await dialog.waitFor({ state: 'detached' });

    expect(await tryListWidgets()).toBe('200');
    // Security: persistAuthorization is off, so the token lives in page memory only.
    expect(await stored(token)).toEqual({ storage: false, cookies: false });

    await page.reload();
    await page.locator('button.authorize').first().waitFor();
    expect(await stored(token)).toEqual({ storage: false, cookies: false });
    expect(await tryListWidgets()).toBe('401');
  }, 60_000);
});
