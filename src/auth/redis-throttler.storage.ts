import { Inject, Injectable, Logger, Module, type OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { redisOptions } from '../queue/analysis-queue';

interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * One fixed window per key: KEYS[1] counts hits (expires after ttl), KEYS[2] marks a block
 * (expires after blockDuration). While blocked nothing is counted; going over the limit starts
 * the block and clears the count, so the window restarts when the block ends. Atomic in Redis.
 */
const INCREMENT = `
local block = redis.call('PTTL', KEYS[2])
if block > 0 then return {tonumber(ARGV[2]) + 1, block, block} end
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if hits == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return {hits, ttl, tonumber(ARGV[3])}
end
return {hits, ttl, 0}
`;

/**
 * Rate-limit counters in Redis (under REDIS_PREFIX) so that several API processes behind a
 * load balancer share one budget per key or address; the stock in-memory storage would give
 * each process its own. If Redis cannot answer, the request is let through with a warning:
 * keys are 256-bit random, so the limit protects capacity, not secrecy, and an outage of the
 * limiter should not become an outage of the API.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly log = new Logger('Throttle');
  private readonly redis: Redis;
  private readonly prefix: string;
  private lastWarning = 0;

  constructor(@Inject(SETTINGS) settings: Pick<Settings, 'redisUrl' | 'redisPrefix'>) {
    // A command waits at most a second (queued while connecting), then the request goes through.
    this.redis = new Redis({ ...redisOptions(settings), maxRetriesPerRequest: 1, commandTimeout: 1000 });
    // ioredis reconnects by itself; without a listener an 'error' event would crash the process.
    this.redis.on('error', (err: Error) => this.warn(err));
    this.prefix = `${settings.redisPrefix}:throttle:`;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    // One hash tag per key: both of its Redis keys land in the same cluster slot.
    const base = `${this.prefix}{${throttlerName}:${key}}`;
    try {
      const [hits, ttlMs, blockMs] = (await this.redis.eval(
        INCREMENT,
        2,
        `${base}:hits`,
        `${base}:block`,
        Math.max(1, Math.round(ttl)),
        limit,
        Math.max(1, Math.round(blockDuration)),
      )) as [number, number, number];
      return {
        totalHits: hits,
        timeToExpire: Math.ceil(ttlMs / 1000),
        isBlocked: blockMs > 0,
        timeToBlockExpire: Math.ceil(blockMs / 1000),
      };
    } catch (err) {
      this.warn(err);
      return { totalHits: 0, timeToExpire: Math.ceil(ttl / 1000), isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  onModuleDestroy(): void {
    // Nest calls this twice: the instance is both this provider and ThrottlerModule's storage.
    if (this.redis.status === 'end') return;
    this.redis.disconnect();
  }

  private warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 30_000) return;
    this.lastWarning = now;
    this.log.warn(`rate limits not enforced while Redis is unavailable: ${err instanceof Error ? err.message : err}`);
  }
}

/** Provides the storage as a Nest provider, so its Redis connection closes with the app. */
@Module({ providers: [RedisThrottlerStorage], exports: [RedisThrottlerStorage] })
export class ThrottlerStorageModule {}
