import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis, RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';

export type RedisState = 'off' | 'connecting' | 'up' | 'down';

type MessageHandler = (message: string) => void;

/**
 * One fixed-window count, atomic in Redis: INCR the key and, on the window's first hit, give it
 * the window's lifetime. Returns {count, ms until the window ends}.
 */
const COUNT_IN_WINDOW = `
local count = redis.call('INCR', KEYS[1])
local ms = redis.call('PTTL', KEYS[1])
if ms < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ms = tonumber(ARGV[1])
end
return {count, ms}
`;

type CountInWindow = (key: string, windowMs: number) => Promise<[number, number]>;

/** How long a command may take before the caller falls back to in-process behaviour. */
const COMMAND_TIMEOUT_MS = 500;
/** After a failed command, Redis is skipped this long, so a stalled server costs one timeout. */
const BACKOFF_MS = 1000;

/**
 * The app's connections to Redis (ioredis), or none when `REDIS_URL` is unset. Redis is what
 * instances share: rate-limit counters and the revocation channel. It is never required: when it
 * is unreachable the app keeps serving (per-instance limits, revocation bounded by the cache TTL)
 * and says so in its log once per outage.
 *
 * Security: the URL holds a password. It is handed to ioredis and never logged; an ioredis error
 * message quotes host and port, so only its code (`ECONNREFUSED`, `WRONGPASS`...) is logged.
 * Every client has an `error` listener: without one ioredis prints the raw error to stderr.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  /** Namespace of every key and channel (`REDIS_KEY_PREFIX`). */
  readonly prefix: string;
  private readonly commands: Redis | null;
  private subscriber: Redis | null = null;
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private readonly resyncHandlers = new Set<() => void>();
  private current: RedisState;
  private skipUntil = 0;
  private closing = false;
  /** Nest's logger (pino once the app is up): no injection, so any module can import Redis. */
  private readonly logger = new Logger(RedisConnection.name);

  constructor(config: AppConfig) {
    this.prefix = config.redis.keyPrefix;
    const url = config.redis.url?.reveal();
    this.current = url ? 'connecting' : 'off';
    this.commands = url ? new Redis(url, RedisConnection.options(false)) : null;
    if (this.commands) {
      this.watch(this.commands, 'commands');
      // ioredis sends EVALSHA and falls back to EVAL when the server lacks the script.
      this.commands.defineCommand('leakproofCountInWindow', {
        numberOfKeys: 1,
        lua: COUNT_IN_WINDOW,
      });
    }
  }

  get state(): RedisState {
    return this.current;
  }

  /** The command client when Redis is configured, connected and not backing off; else null. */
  client(): Redis | null {
    if (this.commands?.status !== 'ready' || Date.now() < this.skipUntil) return null;
    return this.commands;
  }

  /** A caller's command failed (timeout, lost connection): skip Redis briefly. */
  reportFailure(error: unknown): void {
    this.skipUntil = Date.now() + BACKOFF_MS;
    this.logger.warn({ msg: 'redis command failed', code: RedisConnection.codeOf(error) });
  }

  /**
   * Counts one event under `key` (namespaced by the caller with key()) in a fixed window of
   * `windowMs`, shared by every instance: [count in this window, ms until it ends]. `client` is
   * what client() returned; a failure throws, for the caller to fall back and reportFailure().
   */
  countInWindow(client: Redis, key: string, windowMs: number): Promise<[number, number]> {
    return (client as unknown as { leakproofCountInWindow: CountInWindow }).leakproofCountInWindow(
      key,
      windowMs,
    );
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** Publishes on a namespaced channel; false when Redis is off or the publish failed. */
  async publish(channel: string, message: string): Promise<boolean> {
    const client = this.client();
    if (!client) return false;
    try {
      await client.publish(this.key(channel), message);
      return true;
    } catch (error) {
      this.reportFailure(error);
      return false;
    }
  }

  /**
   * Subscribes to a namespaced channel on a dedicated connection (a subscribed connection cannot
   * run other commands). `onResync` runs when that connection comes back after a loss: messages
   * published meanwhile are gone (pub/sub keeps nothing), so the listener must assume it missed
   * some. No-op when Redis is not configured.
   */
  subscribe(channel: string, onMessage: MessageHandler, onResync?: () => void): void {
    if (!this.commands) return;
    const name = this.key(channel);
    if (!this.subscriber) {
      const subscriber = this.commands.duplicate(RedisConnection.options(true));
      this.watch(subscriber, 'subscriber');
      subscriber.on('message', (from: string, message: string) => {
        for (const handler of this.handlers.get(from) ?? []) handler(message);
      });
      this.subscriber = subscriber;
    }
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
      this.subscriber.subscribe(name).catch((error: unknown) => {
        // A SUBSCRIBE still queued when the app stops is dropped: not worth a warning.
        if (this.closing) return;
        this.logger.warn({ msg: 'redis subscribe failed', code: RedisConnection.codeOf(error) });
      });
    }
    set.add(onMessage);
    if (onResync) this.resyncHandlers.add(onResync);
  }

  async onModuleInit(): Promise<void> {
    if (!this.commands) {
      this.logger.log('redis not configured: rate limits and API-key revocations are per instance');
      return;
    }
    // Connect before serving, so limits are shared from the first request; but never wait on
    // an unreachable Redis: ioredis keeps retrying in the background.
    await this.commands.connect().catch(() => undefined);
    if (this.commands.status !== 'ready') this.markDown(undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    const clients = [this.subscriber, this.commands].filter((c) => c !== null);
    await Promise.all(
      clients.map(async (client) => {
        if (client.status === 'ready') {
          await client.quit().catch(() => undefined);
        }
        client.disconnect();
      }),
    );
    if (clients.length > 0) this.logger.log('redis connections closed');
  }

  private watch(client: Redis, role: 'commands' | 'subscriber'): void {
    let lost = false;
    client.on('error', (error: unknown) => {
      if (role === 'commands') this.markDown(error);
    });
    client.on('close', () => {
      lost = true;
      if (role === 'commands') this.markDown(undefined);
    });
    client.on('ready', () => {
      if (role === 'commands') {
        this.skipUntil = 0;
        if (this.current !== 'up')
          this.logger.log('redis connected: limits and revocations shared');
        this.current = 'up';
      } else if (lost) {
        for (const resync of this.resyncHandlers) resync();
      }
      lost = false;
    });
  }

  private markDown(error: unknown): void {
    if (this.closing || this.current === 'down') return;
    this.current = 'down';
    this.logger.warn({
      msg: 'redis unavailable: rate limits are per instance and revocations reach other instances when their cache expires',
      code: error === undefined ? undefined : RedisConnection.codeOf(error),
    });
  }

  private static options(subscriber: boolean): RedisOptions {
    return {
      lazyConnect: !subscriber,
      connectTimeout: 2000,
      // ioredis waits this long for a socket to close after disconnect(), even one that never
      // opened; its 2 s default would hold the process open at shutdown during an outage.
      disconnectTimeout: 200,
      // A command fails at once while disconnected, and the caller falls back, rather than
      // queueing behind an outage. The subscriber queues its SUBSCRIBE until connected.
      enableOfflineQueue: subscriber,
      maxRetriesPerRequest: subscriber ? null : 0,
      commandTimeout: subscriber ? undefined : COMMAND_TIMEOUT_MS,
      retryStrategy: (times: number) => Math.min(times * 200, 2000),
    };
  }

  /** A closed, non-quoting code: the error's `code` if it looks like one, else its class name. */
  static codeOf(error: unknown): string {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return code;
    return error instanceof Error && /^[A-Za-z]{1,40}$/.test(error.name) ? error.name : 'unknown';
  }
}
