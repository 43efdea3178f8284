import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { RedisConnection } from '../redis/redis-connection';
import { ApiKeyFormat } from './api-key-format';
import { ApiKeyVerifier } from './api-key.verifier';

/** Namespaced by REDIS_KEY_PREFIX: `<prefix>:api-keys:invalidated`. */
const CHANNEL = 'api-keys:invalidated';

/**
 * Cross-instance revocation: the handlers that change a key remove its cache entries. Each
 * instance caches verification results for a short TTL; a revoke or rotate on one instance
 * evicts its own cache at once and publishes the key's public id on a Redis channel, and every
 * instance (this one included) evicts that key's cached results when the message arrives. So a
 * revoked key stops working everywhere within the Redis round trip, not the cache TTL.
 *
 * Pub/sub keeps nothing: when Redis is unreachable the publish is skipped (logged), and a
 * subscriber that lost its connection drops its whole cache when it reconnects, since it may
 * have missed messages. Either way the cache TTL stays the bound. The message is only a public
 * id (never a key or digest); anything else on the channel is ignored.
 */
@Injectable()
export class ApiKeyRevocationFanout implements OnModuleInit {
  private readonly logger = new Logger(ApiKeyRevocationFanout.name);

  constructor(
    private readonly redis: RedisConnection,
    private readonly verifier: ApiKeyVerifier,
  ) {}

  onModuleInit(): void {
    this.redis.subscribe(
      CHANNEL,
      (publicId) => {
        if (ApiKeyFormat.PUBLIC_ID.test(publicId)) this.verifier.invalidateByPublicId(publicId);
      },
      () => {
        this.verifier.invalidateAll();
        this.logger.log('revocation channel reconnected: verification cache dropped');
      },
    );
  }

  /** Tells every instance to drop what it cached about this key. Never throws. */
  async announce(publicId: string): Promise<void> {
    if (this.redis.state === 'off') return;
    if (!(await this.redis.publish(CHANNEL, publicId))) {
      this.logger.warn({
        msg: 'other instances drop this key when their cache expires (redis unavailable)',
        event: 'api_key_invalidation_not_published',
        keyId: publicId,
      });
    }
  }
}
