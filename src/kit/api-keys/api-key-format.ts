import { crc32 } from 'node:zlib';
import { Base62 } from './base62';

export type ApiKeyEnvironment = 'live' | 'test';

export type ApiKeyParse =
  | { readonly valid: true; readonly environment: ApiKeyEnvironment; readonly publicId: string }
  | { readonly valid: false; readonly reason: 'malformed' | 'bad_checksum' };

const PUBLIC_ID_LENGTH = 12;
/** 32 base62 characters: 32 x log2(62) = 190 bits, above the 128 bits ASVS 6.5.2 asks for. */
const SECRET_LENGTH = 32;
/** CRC32 (< 2^32) fits in 6 base62 digits (62^6 > 2^32), as in GitHub's token format. */
const CHECKSUM_LENGTH = 6;
const SHAPE = /^lp_(live|test)_([0-9A-Za-z]{12})_[0-9A-Za-z]{32}([0-9A-Za-z]{6})$/;

/**
 * The API-key format: `lp_<env>_<publicId>_<secret><crc>` (docs/key-scanning.md).
 *
 * - `lp_` and the environment make a leaked key findable by secret scanners (docs/key-scanning.md)
 *   and keep a test key from ever working against production.
 * - The public id names the key in logs, the admin API and the database; it is not secret.
 * - The secret is 190 random bits; only an HMAC of the whole key is stored.
 * - The CRC32 of everything before it rejects typos and forged keys offline, before any cache or
 *   database lookup (GitHub, "Behind GitHub's new authentication token formats", 2021).
 *
 * Security: `_` separators only, so the redaction core's /\blp_(?:live|test)_[A-Za-z0-9_]+/
 * matches a whole key, and so does a double-click.
 */
export class ApiKeyFormat {
  static readonly LENGTH =
    'lp_live_'.length + PUBLIC_ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;
  static readonly PUBLIC_ID = /^[0-9A-Za-z]{12}$/;
  static readonly SECRET_LENGTH = SECRET_LENGTH;

  static generate(environment: ApiKeyEnvironment): { key: string; publicId: string } {
    const publicId = Base62.random(PUBLIC_ID_LENGTH);
    const body = `lp_${environment}_${publicId}_${Base62.random(SECRET_LENGTH)}`;
    return { key: `${body}${ApiKeyFormat.checksum(body)}`, publicId };
  }

  /**
   * Parses untrusted input. Never throws, whatever it is given (P8): length first, so the regex
   * never runs over a long header, then the shape, then the checksum.
   */
  static parse(value: unknown): ApiKeyParse {
    if (typeof value !== 'string' || value.length !== ApiKeyFormat.LENGTH) {
      return { valid: false, reason: 'malformed' };
    }
    const match = SHAPE.exec(value);
    if (!match) return { valid: false, reason: 'malformed' };
    const body = value.slice(0, -CHECKSUM_LENGTH);
    if (ApiKeyFormat.checksum(body) !== match[3]) return { valid: false, reason: 'bad_checksum' };
    return { valid: true, environment: match[1] as ApiKeyEnvironment, publicId: match[2] };
  }

  /** What a list shows instead of the key: the non-secret prefix (Stripe's and Unkey's `start`). */
  static displayPrefix(environment: ApiKeyEnvironment, publicId: string): string {
    return `lp_${environment}_${publicId}`;
  }

  private static checksum(body: string): string {
    return Base62.encodeFixed(crc32(body), CHECKSUM_LENGTH);
  }
}
