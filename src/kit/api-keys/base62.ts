import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/**
 * The largest multiple of 62 a byte can hold (4 x 62). Bytes at or above it are thrown away,
 * so `byte % 62` maps exactly four byte values onto every character: no modulo bias.
 */
const ACCEPT_BELOW = 248;

/** Base62 (`0-9A-Za-z`): URL-safe, no `-`/`+`/`/`, and a double-click selects the whole key. */
export class Base62 {
  static readonly ALPHABET = ALPHABET;

  /**
   * `length` uniformly random base62 characters from a CSPRNG, by rejection sampling.
   * Security: ASVS 11.5.1 (CSPRNG, 128+ bits); the source is a parameter only so the unit spec
   * can prove the rejection with chosen bytes.
   */
  static random(length: number, source: (size: number) => Buffer = randomBytes): string {
    let out = '';
    while (out.length < length) {
      // 248/256 of the bytes are accepted; ask for a few extra so one round almost always suffices.
      for (const byte of source(length - out.length + 8)) {
        if (byte < ACCEPT_BELOW && out.length < length) out += ALPHABET[byte % 62];
      }
    }
    return out;
  }

  /** A non-negative integer as exactly `width` base62 digits, most significant first. */
  static encodeFixed(value: number, width: number): string {
    let rest = value;
    let out = '';
    for (let i = 0; i < width; i++) {
      out = ALPHABET[rest % 62] + out;
      rest = Math.floor(rest / 62);
    }
    return out;
  }
}
