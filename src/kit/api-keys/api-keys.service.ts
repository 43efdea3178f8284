import { Injectable, Logger, Optional } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import type { ApiKeysTable } from './api-keys.table';
import { ApiKeyFormat } from './api-key-format';
import { ApiKeyRevocationFanout } from './api-key-revocation.fanout';
import { ApiKeyScopePolicy } from './api-key-scope.policy';
import { ApiKeyStateError } from './api-key-state.error';
import { ApiKeyHasher } from './api-key.hasher';
import { ApiKeyRepository } from './api-key.repository';
import { DEFAULT_OVERLAP_SECONDS } from './api-key.schema';
import type {
  ApiKeyMetadata,
  CreateApiKey,
  CreatedApiKey,
  RotateApiKey,
  RotatedApiKey,
} from './api-key.schema';
import { ApiKeyVerifier } from './api-key.verifier';

const LIST_LIMIT = 500;

/**
 * The key lifecycle, shared by the admin API and the CLI: create, list, get, revoke, rotate
 * (docs/threat-model.md §10). The plaintext exists only inside create and rotate, in their
 * return value; what is stored is the digest. A key is minted only with scopes the
 * ApiKeyScopePolicy allows. Each change is written to the log as an audit event, with the key's
 * public id and the actor, never the key.
 */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    private readonly repository: ApiKeyRepository,
    private readonly hasher: ApiKeyHasher,
    private readonly verifier: ApiKeyVerifier,
    private readonly config: AppConfig,
    /** Security: required, so no service can mint a key with a scope keys may not carry. */
    private readonly scopePolicy: ApiKeyScopePolicy,
    /** Absent where a test or a benchmark builds the service by hand: no Redis to announce on. */
    @Optional() private readonly fanout?: ApiKeyRevocationFanout,
  ) {}

  /** Throws ApiKeyScopeError when a scope is not one API keys may carry. */
  async create(input: CreateApiKey, actor: string): Promise<CreatedApiKey> {
    this.scopePolicy.check(input.scopes);
    const now = new Date();
    const expiresAt =
      input.expiresIn === undefined ? null : ApiKeysService.after(now, input.expiresIn);
    const { key, row } = this.mint(input.name, input.scopes, actor, now, expiresAt, null);
    await this.repository.insert(row);
    this.audit('api_key_created', row, actor);
    return { ...this.metadata(row, now), key };
  }

  async list(): Promise<ApiKeyMetadata[]> {
    const now = new Date();
    return (await this.repository.list(LIST_LIMIT)).map((row) => this.metadata(row, now));
  }

  async get(publicId: string): Promise<ApiKeyMetadata> {
    return this.metadata(await this.require(publicId), new Date());
  }

  /**
   * Idempotent; effective at once in this process (the cached results are dropped) and, through
   * the Redis fan-out, in every other instance.
   */
  async revoke(publicId: string, actor: string): Promise<ApiKeyMetadata> {
    await this.require(publicId);
    const now = new Date();
    const revoked = await this.repository.revoke(publicId, now.toISOString());
    this.verifier.invalidateByPublicId(publicId);
    await this.fanout?.announce(publicId);
    const row = await this.require(publicId);
    if (revoked) this.audit('api_key_revoked', row, actor);
    return this.metadata(row, now);
  }

  /**
   * Issues a successor with the same name and scopes. The old key keeps working until the end
   * of the overlap (or its own earlier expiry), then expires: Stripe's "roll with expiry", so a
   * client can switch without downtime. A key that carries a scope keys may no longer have (it
   * predates the policy, or the allowlist changed) is not rotated (ApiKeyScopeError): its
   * successor would carry the scope too. Revoke it and create a new key instead.
   */
  async rotate(publicId: string, input: RotateApiKey, actor: string): Promise<RotatedApiKey> {
    const old = await this.require(publicId);
    const now = new Date();
    if (this.status(old, now) !== 'active') throw new ApiKeyStateError('not_active');
    if (await this.repository.successorOf(publicId)) {
      throw new ApiKeyStateError('already_rotated');
    }
    const scopes = old.scopes.split(' ').filter((s) => s.length > 0);
    this.scopePolicy.check(scopes);
    const overlapEnd = ApiKeysService.after(now, input.overlap ?? DEFAULT_OVERLAP_SECONDS);
    const oldExpiresAt =
      old.expires_at !== null && old.expires_at < overlapEnd ? old.expires_at : overlapEnd;
    const lifetime =
      input.expiresIn ??
      (old.expires_at === null
        ? undefined
        : Math.round((Date.parse(old.expires_at) - Date.parse(old.created_at)) / 1000));
    const { key, row } = this.mint(
      old.name,
      scopes,
      actor,
      now,
      lifetime === undefined ? null : ApiKeysService.after(now, lifetime),
      publicId,
    );
    try {
      await this.repository.rotate(publicId, oldExpiresAt, row);
    } catch (error) {
      // The unique rotated_from index refused a concurrent second rotation.
      if (await this.repository.successorOf(publicId)) {
        throw new ApiKeyStateError('already_rotated');
      }
      throw error;
    }
    this.verifier.invalidateByPublicId(publicId);
    await this.fanout?.announce(publicId);
    this.audit('api_key_rotated', row, actor);
    return {
      ...this.metadata(row, now),
      key,
      previous: this.metadata({ ...old, expires_at: oldExpiresAt }, now),
    };
  }

  private mint(
    name: string,
    scopes: readonly string[],
    actor: string,
    now: Date,
    expiresAt: string | null,
    rotatedFrom: string | null,
  ): { key: string; row: ApiKeysTable } {
    const { key, publicId } = ApiKeyFormat.generate(this.config.apiKeys.environment);
    const digest = this.hasher.digest(key);
    if (!digest) throw new Error('The current pepper is missing');
    return {
      key,
      row: {
        public_id: publicId,
        digest: digest.toString('hex'),
        pepper_id: this.hasher.current.id,
        name,
        scopes: scopes.join(' '),
        created_by: actor,
        created_at: now.toISOString(),
        expires_at: expiresAt,
        revoked_at: null,
        last_used_at: null,
        rotated_from: rotatedFrom,
      },
    };
  }

  private async require(publicId: string): Promise<ApiKeysTable> {
    const row = await this.repository.find(publicId);
    if (!row) throw new ApiKeyStateError('not_found');
    return row;
  }

  private status(row: ApiKeysTable, now: Date): ApiKeyMetadata['status'] {
    if (row.revoked_at !== null) return 'revoked';
    if (row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime()) return 'expired';
    return 'active';
  }

  private metadata(row: ApiKeysTable, now: Date): ApiKeyMetadata {
    return {
      id: row.public_id,
      prefix: ApiKeyFormat.displayPrefix(this.config.apiKeys.environment, row.public_id),
      name: row.name,
      scopes: row.scopes.split(' ').filter((s) => s.length > 0),
      status: this.status(row, now),
      createdAt: row.created_at,
      createdBy: row.created_by,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      lastUsedAt: row.last_used_at,
      rotatedFrom: row.rotated_from,
    };
  }

  private audit(event: string, row: ApiKeysTable, actor: string): void {
    this.logger.log({ event, keyId: row.public_id, actor, scopes: row.scopes });
  }

  private static after(now: Date, seconds: number): string {
    return new Date(now.getTime() + seconds * 1000).toISOString();
  }
}
