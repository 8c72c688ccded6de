import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { AnalysisQueueService } from '../queue/analysis-queue.service';
import { redisOptions } from '../queue/analysis-queue';

export interface DependencyCheck {
  status: 'up' | 'down';
  latencyMs: number;
  /** An error code or 'timeout' — never a message: driver messages can name hosts, users or URLs. */
  error?: string;
}

export interface WorkersCheck {
  /** 'unknown' when Redis is down (the count lives there). */
  status: 'up' | 'none' | 'unknown';
  count: number | null;
  queue: { waiting: number; active: number; failed: number } | null;
}

export interface HealthChecks {
  postgres: DependencyCheck;
  redis: DependencyCheck;
  workers: WorkersCheck;
}

const TIMEOUT_MS = 2000;

class Timeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function errorCode(err: unknown): string {
  if (err instanceof Timeout) return 'timeout';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,32}$/.test(code) ? code : 'unreachable';
}

async function timed(check: () => Promise<unknown>): Promise<DependencyCheck> {
  const t0 = Date.now();
  try {
    await withTimeout(check());
    return { status: 'up', latencyMs: Date.now() - t0 };
  } catch (err) {
    return { status: 'down', latencyMs: Date.now() - t0, error: errorCode(err) };
  }
}

/**
 * The checks behind GET /health, each bounded by a short timeout so a dead dependency makes the
 * answer 503 quickly instead of hanging the load balancer's probe.
 */
@Injectable()
export class HealthChecksService implements OnModuleDestroy {
  /** Its own connection without an offline queue: PING fails at once while Redis is away. */
  private readonly redis: Redis;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly analysis: AnalysisQueueService,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.redis = new Redis({
      ...redisOptions(settings),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.redis.on('error', () => undefined); // reported by the check, not as an unhandled error
  }

  async onModuleDestroy(): Promise<void> {
    this.redis.disconnect();
  }

  async run(): Promise<HealthChecks> {
    const [postgres, redis] = await Promise.all([
      timed(() => this.ds.query('SELECT 1')),
      timed(async () => {
        if (this.redis.status === 'wait') await this.redis.connect();
        await this.redis.ping();
      }),
    ]);
    return { postgres, redis, workers: redis.status === 'up' ? await this.workers() : unknownWorkers() };
  }

  private async workers(): Promise<WorkersCheck> {
    try {
      const q = this.analysis.queue;
      const [workers, counts] = await withTimeout(
        Promise.all([q.getWorkers(), q.getJobCounts('waiting', 'active', 'failed')]),
      );
      return {
        status: workers.length > 0 ? 'up' : 'none',
        count: workers.length,
        queue: { waiting: counts.waiting ?? 0, active: counts.active ?? 0, failed: counts.failed ?? 0 },
      };
    } catch {
      return unknownWorkers();
    }
  }
}

function unknownWorkers(): WorkersCheck {
  return { status: 'unknown', count: null, queue: null };
}
