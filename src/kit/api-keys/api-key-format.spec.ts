import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { Redactor } from '../security/redactor';
import { ApiKeyFormat } from './api-key-format';
import { Base62 } from './base62';

/** The key shape a secret scanner would match (docs/key-scanning.md), with our prefix. */
const K1 = /^lp_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{30,}[0-9A-Za-z]{6}$/;

describe('ApiKeyFormat', () => {
  it('when a key is generated, it has the K1 shape and parses back to its environment and id', () => {
    for (const environment of ['live', 'test'] as const) {
      const { key, publicId } = ApiKeyFormat.generate(environment);
      expect(key).toMatch(K1);
      expect(key).toHaveLength(ApiKeyFormat.LENGTH);
      expect(key.startsWith(`lp_${environment}_${publicId}_`)).toBe(true);
      expect(ApiKeyFormat.parse(key)).toEqual({ valid: true, environment, publicId });
    }
  });

  it('when many keys are generated, secrets are unique and every base62 character is about equally likely', () => {
    const counts = new Map<string, number>();
    const secrets = new Set<string>();
    const ids = new Set<string>();
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const { key, publicId } = ApiKeyFormat.generate('test');
      const secret = key.slice(`lp_test_${publicId}_`.length, -6);
      expect(secret).toHaveLength(ApiKeyFormat.SECRET_LENGTH);
      secrets.add(secret);
      ids.add(publicId);
      for (const c of secret) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(secrets.size).toBe(n);
    expect(ids.size).toBe(n);
    // At least 128 bits of secret (ASVS 6.5.2): 32 chars x log2(62) bits.
    expect(ApiKeyFormat.SECRET_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(128);
    expect([...counts.keys()].sort().join('')).toBe(Base62.ALPHABET.split('').sort().join(''));
    // 64,000 draws: about 1,032 per character, standard deviation about 32. A modulo-biased
    // sampler (byte % 62 over all 256 values) gives the first 8 characters ~1,250: caught here.
    const expected = (n * ApiKeyFormat.SECRET_LENGTH) / 62;
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(expected * 0.85);
      expect(count).toBeLessThan(expected * 1.15);
    }
  });

  it('when any single character of a valid key is changed, the key is rejected', () => {
    const { key } = ApiKeyFormat.generate('live');
    const replacements = `${Base62.ALPHABET}_-. `;
    let tried = 0;
    for (let i = 0; i < key.length; i++) {
      for (const c of replacements) {
        if (c === key[i]) continue;
        const changed = `${key.slice(0, i)}${c}${key.slice(i + 1)}`;
        expect({ changed, result: ApiKeyFormat.parse(changed).valid }).toEqual({
          changed,
          result: false,
        });
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(key.length * 60);
  });

  it('when the checksum does not match, the reason is bad_checksum; a wrong shape is malformed', () => {
    const { key } = ApiKeyFormat.generate('test');
    const last = key.at(-1) === '0' ? '1' : '0';
    expect(ApiKeyFormat.parse(`${key.slice(0, -1)}${last}`)).toEqual({
      valid: false,
      reason: 'bad_checksum',
    });
    expect(ApiKeyFormat.parse(key.replace('lp_test_', 'lp_prod_'))).toEqual({
      valid: false,
      reason: 'malformed',
    });
  });

  it('when the input is malformed in any way, parse returns invalid and never throws', () => {
    const { key } = ApiKeyFormat.generate('test');
    const inputs: unknown[] = [
      undefined,
      null,
      42,
      {},
      [key],
      '',
      'lp_',
      'lp_test_',
      key.toUpperCase(),
      ` ${key.slice(1)}`,
      `${key.slice(0, -1)}\n`,
      `${key.slice(0, 20)}é${key.slice(21)}`,
      `${key.slice(0, 20)}\u0000${key.slice(21)}`,
      `${key}${key}`,
      'x'.repeat(1_000_000),
      `Bearer ${key}`,
    ];
    for (let i = 0; i < 500; i++) {
      inputs.push(randomBytes(ApiKeyFormat.LENGTH).toString('latin1'));
      inputs.push(`lp_test_${randomBytes(40).toString('base64url')}`.slice(0, ApiKeyFormat.LENGTH));
    }
    for (const input of inputs) {
      expect(() => ApiKeyFormat.parse(input)).not.toThrow();
      expect(ApiKeyFormat.parse(input).valid).toBe(false);
    }
  });

  it('when the input is not exactly the key length, parse refuses it before running the shape regex', () => {
    const { key } = ApiKeyFormat.generate('live');
    const exec = jest.spyOn(RegExp.prototype, 'exec');
    try {
      for (const input of [key.slice(0, -1), `${key}a`, 'x'.repeat(100_000), '']) {
        expect(ApiKeyFormat.parse(input)).toEqual({ valid: false, reason: 'malformed' });
      }
      // Not a string, even one that claims the right length and prints as a key.
      const impostor = { length: ApiKeyFormat.LENGTH, toString: () => key };
      expect(ApiKeyFormat.parse(impostor)).toEqual({ valid: false, reason: 'malformed' });
      expect(exec).not.toHaveBeenCalled();
    } finally {
      exec.mockRestore();
    }
    expect(ApiKeyFormat.LENGTH).toBe(59);
  });

  it('when the checksum is one digit off in any position, the reason is bad_checksum', () => {
    const { key } = ApiKeyFormat.generate('test');
    for (let i = key.length - 6; i < key.length; i++) {
      const digit = Base62.ALPHABET.indexOf(key[i] ?? '');
      const next = Base62.ALPHABET[(digit + 1) % 62] ?? '';
      expect(ApiKeyFormat.parse(`${key.slice(0, i)}${next}${key.slice(i + 1)}`)).toEqual({
        valid: false,
        reason: 'bad_checksum',
      });
    }
  });

  it('when a list shows a key, the display prefix is the environment and public id only', () => {
    const { key, publicId } = ApiKeyFormat.generate('live');
    expect(ApiKeyFormat.displayPrefix('live', publicId)).toBe(`lp_live_${publicId}`);
    expect(ApiKeyFormat.displayPrefix('test', publicId)).toBe(`lp_test_${publicId}`);
    expect(key.startsWith(`${ApiKeyFormat.displayPrefix('live', publicId)}_`)).toBe(true);
    expect(ApiKeyFormat.PUBLIC_ID.test(publicId)).toBe(true);
    for (const id of [publicId.slice(1), `${publicId}a`, `${publicId.slice(1)}_`, ` ${publicId}`]) {
      expect(ApiKeyFormat.PUBLIC_ID.test(id)).toBe(false);
    }
  });

  it('when the gitleaks rule in docs/key-scanning.md scans text, it finds every key and nothing shorter', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/key-scanning.md'), 'utf8');
    const source = /^regex = '''(.+)'''$/m.exec(doc)?.[1];
    expect(source).toBeDefined();
    const rule = new RegExp(source ?? '$^', 'g');
    for (const environment of ['live', 'test'] as const) {
      const { key } = ApiKeyFormat.generate(environment);
      expect(`config: "${key}",`.match(rule)).toEqual([key]);
      expect(key.slice(0, -1).match(rule)).toBeNull();
      expect(`x${key}`.match(rule)).toBeNull();
    }
    expect('lp_prod_AAAAAAAAAAAA_'.padEnd(ApiKeyFormat.LENGTH, 'a').match(rule)).toBeNull();
  });

  it('when a key appears in text, the redaction core masks all of it', () => {
    const config = AppConfig.fromEnv({
      NODE_ENV: 'test',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      API_KEY_PEPPER: randomBytes(32).toString('base64url'),
    });
    const redactor = new Redactor(config, null);
    for (const environment of ['live', 'test'] as const) {
      const { key } = ApiKeyFormat.generate(environment);
      expect(redactor.redact(`sent "${key}", then`)).toBe('sent "[REDACTED]", then');
    }
  });
});

describe('Base62', () => {
  it('when the source gives bytes at or above 248, they are rejected rather than folded (no modulo bias)', () => {
    const rounds = [Buffer.from([248, 255, 0, 250, 61, 62, 247, 252, 123]), Buffer.from([1, 2, 3])];
    let round = 0;
    const source = (size: number): Buffer => {
      expect(size).toBeGreaterThan(0);
      return rounds[round++] ?? Buffer.alloc(0);
    };
    // 248, 255, 250 and 252 are dropped; the accepted bytes map through byte % 62.
    expect(Base62.random(6, source)).toBe(
      [0, 61, 62, 247, 123, 1].map((b) => Base62.ALPHABET[b % 62]).join(''),
    );
  });

  it('when bytes are drawn, it asks for the missing characters plus eight spare bytes each round', () => {
    const sizes: number[] = [];
    const source = (size: number): Buffer => {
      sizes.push(size);
      return sizes.length === 1 ? Buffer.from([255, 55]) : Buffer.alloc(size, 55);
    };
    // Round 1: 255 rejected, 55 kept; round 2 asks for the 3 missing + 8, and keeps 3 of them.
    expect(Base62.random(4, source)).toBe(Base62.ALPHABET.charAt(55).repeat(4));
    expect(sizes).toEqual([12, 11]);
  });

  it('when a number is encoded at a fixed width, it is zero-padded and decodes back', () => {
    expect(Base62.encodeFixed(0, 6)).toBe('000000');
    const max = 2 ** 32 - 1;
    const encoded = Base62.encodeFixed(max, 6);
    let decoded = 0;
    for (const c of encoded) decoded = decoded * 62 + Base62.ALPHABET.indexOf(c);
    expect(decoded).toBe(max);
  });
});
