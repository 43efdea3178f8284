import { Inject, Injectable } from '@nestjs/common';
import { createHmac, createSecretKey, KeyObject, timingSafeEqual } from 'node:crypto';
import { DevKeyMaterial } from '../auth/dev-key-material';
import { AppConfig } from '../config/app-config';
import type { Secret } from '../config/secret';

export interface Pepper {
  readonly id: string;
  readonly key: KeyObject;
}

/** The fixed message a pepper id is derived from; versioned so the derivation can change. */
const PEPPER_ID_LABEL = 'leakproof:api-key-pepper-id:v1';

/**
 * Keyed hashing of API keys: HMAC-SHA-256(pepper, full key). A key has 190 random bits, so one
 * fast keyed hash is enough (ASVS 6.5.2; a slow KDF adds latency, and its per-row salt would
 * rule out caching by digest). The pepper lives in configuration, never in the database
 * (OWASP Password Storage CS, "Peppering"): a database dump alone cannot test a guess.
 *
 * Peppers rotate: `API_KEY_PEPPER` hashes new keys, and each retired pepper in
 * `API_KEY_PEPPER_PREVIOUS` still verifies the keys hashed with it. Each row records its
 * pepper id. Every pepper is parsed once into a KeyObject at boot, never per request.
 */
@Injectable()
export class ApiKeyHasher {
  readonly current: Pepper;
  private readonly peppers = new Map<string, Pepper>();

  /** `devKeys` supplies the pepper when API_KEY_PEPPER is unset (outside production only). */
  constructor(config: AppConfig, @Inject(DevKeyMaterial) devKeys: DevKeyMaterial | null) {
    const secret = config.apiKeys.pepper ?? devKeys?.pepper;
    if (!secret) {
      throw new Error('API_KEY_PEPPER is unset and no development key material is loaded');
    }
    this.current = ApiKeyHasher.pepper(secret);
    for (const pepper of [
      this.current,
      ...config.apiKeys.previousPeppers.map((p) => ApiKeyHasher.pepper(p)),
    ]) {
      if (!this.peppers.has(pepper.id)) this.peppers.set(pepper.id, pepper);
    }
  }

  /** The digest of a key with the current pepper, or with the pepper a row names. */
  digest(key: string, pepperId: string = this.current.id): Buffer | null {
    const pepper = this.peppers.get(pepperId);
    return pepper ? createHmac('sha256', pepper.key).update(key, 'utf8').digest() : null;
  }

  /**
   * Constant-time equality of two digests (ASVS 11.2.4). timingSafeEqual throws
   * on a length mismatch, so lengths are checked first; both sides are 32-byte digests, so
   * that check reveals nothing.
   */
  static equal(a: Buffer, b: Buffer): boolean {
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * A pepper's id is the start of HMAC-SHA-256(pepper, fixed label), derived rather than
   * configured because:
   * - it cannot drift from the pepper: every instance, the CLI and every restart compute the
   *   same id, and a new pepper gets a new id with no second variable to keep in step;
   * - it is order-independent: reordering API_KEY_PEPPER_PREVIOUS breaks nothing (a list index
   *   would);
   * - it reveals nothing: a keyed hash of a public label is one-way, and the label never looks
   *   like an API key, so an id can never equal or help forge a key digest.
   * 96 bits (16 base64url characters) make a collision between two peppers negligible.
   */
  private static pepper(secret: Secret): Pepper {
    const key = createSecretKey(Buffer.from(secret.reveal(), 'utf8'));
    const id = createHmac('sha256', key).update(PEPPER_ID_LABEL).digest().subarray(0, 12);
    return { id: id.toString('base64url'), key };
  }
}
