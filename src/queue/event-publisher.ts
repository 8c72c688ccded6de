import Redis from 'ioredis';
import type { Settings } from '../config/settings';
import { redisOptions } from './analysis-queue';
import { eventsChannel, type ServiceEvent } from './service-events';

/**
 * Publishes ServiceEvents on the Redis events channel. Best effort by design (see
 * service-events.ts): while Redis is away a publish fails at once instead of queueing behind
 * the outage and holding up the chunk that produced it.
 */
export class RedisEventPublisher {
  private readonly redis: Redis;
  private readonly channel: string;

  constructor(settings: Pick<Settings, 'redisUrl' | 'redisPrefix'>) {
    this.redis = new Redis({ ...redisOptions(settings), maxRetriesPerRequest: 1, enableOfflineQueue: false });
    // Connection errors are retried by ioredis; a failed publish is reported by its promise.
    this.redis.on('error', () => undefined);
    this.channel = eventsChannel(settings.redisPrefix);
  }

  async publish(event: ServiceEvent): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(event));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
