import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { redisOptions } from '../queue/analysis-queue';
import { IngestError } from './capture-ingest';

/** 429: the key (or address) has uploaded its THROTTLE_UPLOAD_BYTES for this window. */
export class UploadBudgetError extends IngestError {
  constructor(
    message: string,
    /** Seconds until the window ends (the Retry-After header). */
    readonly retryAfterSeconds: number,
  ) {
    super(429, message);
  }
}

/**
 * Adds ARGV[1] bytes to the window's count (KEYS[1]); the first bytes of a window start its expiry
 * (ARGV[2] ms). Returns the count and the window's milliseconds left. Atomic in Redis.
 */
const CHARGE = `
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {used, ttl}
`;

/**
 * The upload rate limit in bytes: THROTTLE_UPLOAD_BYTES of capture bytes (after gzip decoding —
 * what is stored and analysed) per THROTTLE_TTL_MS per API key, or per client address without
 * one; the request limits (THROTTLE_LIMIT, THROTTLE_UPLOAD_LIMIT) count requests beside it. A
 * fixed window in Redis under REDIS_PREFIX, so every API process shares one budget per key (as
 * RedisThrottlerStorage does for the request limits). Bytes are charged while they arrive, so an
 * upload that runs over is stopped there, whatever it declared; `force=true` uploads pay the same.
 * Redis unreachable: uploads go on, with a warning — as for the request limits, an outage of
 * the limiter should not become an outage of uploads.
 */
@Injectable()
export class UploadByteBudget implements OnModuleDestroy {
  private readonly log = new Logger('UploadBudget');
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly limit: number;
  private readonly windowMs: number;
  private lastWarning = 0;

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.redis = new Redis({ ...redisOptions(settings), maxRetriesPerRequest: 1, commandTimeout: 1000 });
    // ioredis reconnects by itself; without a listener an 'error' event would crash the process.
    this.redis.on('error', (err: Error) => this.warn(err));
    this.prefix = `${settings.redisPrefix}:upload-bytes:`;
    this.limit = settings.throttle.uploadBytes;
    this.windowMs = settings.throttle.ttlMs;
  }

  /** Refuses (429) before the body is read when the tracker's budget is already spent. */
  async assertAvailable(tracker: string): Promise<void> {
    await this.charge(tracker, 0);
  }

  /** Counts `bytes` against the tracker's window; throws UploadBudgetError once past the budget. */
  async charge(tracker: string, bytes: number): Promise<void> {
    let used: number;
    let ttlMs: number;
    try {
      [used, ttlMs] = (await this.redis.eval(CHARGE, 1, `${this.prefix}${tracker}`, bytes, this.windowMs)) as [
        number,
        number,
      ];
    } catch (err) {
      this.warn(err);
      return;
    }
    const spent = bytes === 0 ? used >= this.limit : used > this.limit;
    if (!spent) return;
    throw new UploadBudgetError(
      `upload byte budget spent: ${used} capture bytes uploaded in this window, beyond THROTTLE_UPLOAD_BYTES=${this.limit} ` +
        `per THROTTLE_TTL_MS=${this.windowMs}; retry after the number of seconds in the Retry-After header`,
      Math.max(1, Math.ceil(ttlMs / 1000)),
    );
  }

  onModuleDestroy(): void {
    if (this.redis.status !== 'end') this.redis.disconnect();
  }

  private warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 30_000) return;
    this.lastWarning = now;
    this.log.warn(
      `upload byte budget not enforced while Redis is unavailable: ${err instanceof Error ? err.message : err}`,
    );
  }
}
