import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { SecretValues } from '../config/secret-source';
import { type ApiKeySettings, apiKeysEnv, parseApiKeys } from './api-keys.config';

const strong = (): string => randomBytes(32).toString('base64url');
const WEAK = 'too weak or a placeholder (production needs 32+ random bytes)';

function parse(
  secrets: SecretValues,
  production: boolean,
  vars: Record<string, string> = {},
): { settings: ApiKeySettings | null; problems: string[] } {
  const problems: string[] = [];
  const env = z.object(apiKeysEnv).parse(vars);
  const settings = parseApiKeys(env, { production, secrets, problems, devKeysDir: '/keys' });
  return { settings, problems };
}

describe('parseApiKeys', () => {
  it('when production has a strong pepper, it is a live setup with that pepper', () => {
    const pepper = strong();
    const { settings, problems } = parse({ API_KEY_PEPPER: pepper }, true);
    expect(problems).toEqual([]);
    expect(settings?.pepper?.reveal()).toBe(pepper);
    expect(settings?.previousPeppers).toEqual([]);
    expect(settings?.environment).toBe('live');
    expect(settings?.failuresPerMinute).toBe(20);
    expect(settings?.allowedScopes).toBeNull();
  });

  it('when production has no pepper, it is refused by name and nothing returns', () => {
    expect(parse({}, true)).toEqual({
      settings: null,
      problems: ['API_KEY_PEPPER: required in production'],
    });
  });

  it('when outside production there is no pepper, the development pepper is left to use', () => {
    const { settings, problems } = parse({}, false);
    expect(problems).toEqual([]);
    expect(settings?.pepper).toBeNull();
    expect(settings?.environment).toBe('test');
  });

  it('when a production pepper is weak, it is refused by name and never by value', () => {
    const weak = 'changeme-changeme-changeme-changeme';
    const { problems } = parse({ API_KEY_PEPPER: weak }, true);
    expect(problems).toEqual([`API_KEY_PEPPER: ${WEAK}`]);
    expect(parse({ API_KEY_PEPPER: weak }, false).problems).toEqual([]);
  });

  it('when previous peppers are listed, each is trimmed, blanks dropped, and each is checked', () => {
    const [a, b] = [strong(), strong()];
    const { settings, problems } = parse(
      { API_KEY_PEPPER: strong(), API_KEY_PEPPER_PREVIOUS: ` ${a} ,, ${b},` },
      true,
    );
    expect(problems).toEqual([]);
    expect(settings?.previousPeppers.map((p) => p.reveal())).toEqual([a, b]);
  });

  it('when a previous pepper is weak in production, it is named once per weak pepper', () => {
    const { problems } = parse(
      { API_KEY_PEPPER: strong(), API_KEY_PEPPER_PREVIOUS: `short,${strong()},dummy` },
      true,
    );
    expect(problems).toEqual([
      `API_KEY_PEPPER_PREVIOUS: ${WEAK}`,
      `API_KEY_PEPPER_PREVIOUS: ${WEAK}`,
    ]);
    expect(problems.join('\n')).not.toMatch(/short|dummy/);
  });

  it('when the limits and scopes are set, they are carried', () => {
    const { settings } = parse({}, false, {
      API_KEY_FAILURES_PER_MINUTE: '5',
      API_KEY_ALLOWED_SCOPES: 'items:read,items:write',
    });
    expect(settings?.failuresPerMinute).toBe(5);
    expect(settings?.allowedScopes).toEqual(['items:read', 'items:write']);
  });
});
