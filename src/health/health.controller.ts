import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { version } from '../../package.json';
import { HealthChecksService, type HealthChecks } from './health-checks.service';

export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  checks: HealthChecks;
}

const CHECK = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['up', 'down'] },
    latencyMs: { type: 'integer' },
    error: { type: 'string' },
  },
};
const HEALTH_SCHEMA = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    version: { type: 'string' },
    checks: {
      type: 'object',
      properties: {
        postgres: CHECK,
        redis: CHECK,
        workers: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['up', 'none', 'unknown'] },
            count: { type: 'integer', nullable: true },
            queue: {
              type: 'object',
              nullable: true,
              properties: { waiting: { type: 'integer' }, active: { type: 'integer' }, failed: { type: 'integer' } },
            },
          },
        },
      },
    },
  },
};

/**
 * For load balancers, compose and people: public (no key), and it says nothing secret — check
 * names, up/down, latencies and error codes, never a URL or a driver's message.
 *
 * 200 'ok' needs PostgreSQL and Redis: without them the API can neither answer nor enqueue.
 * No worker (count 0) is reported but still 'ok': this process serves requests fine, uploads
 * wait in the queue until a worker starts, and a probe that failed the API for it would restart
 * healthy API containers instead of starting workers.
 */
@ApiTags('health')
// Open (public in ROUTE_ACCESS) and never rate-limited: load balancers and compose poll it.
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(private readonly checks: HealthChecksService) {}

  @Get()
  @ApiOperation({ summary: 'PostgreSQL, Redis and worker checks (no key needed)' })
  @ApiResponse({ status: 200, description: 'PostgreSQL and Redis up', schema: HEALTH_SCHEMA })
  @ApiResponse({ status: 503, description: 'PostgreSQL or Redis down (the check says which)', schema: HEALTH_SCHEMA })
  async health(@Res({ passthrough: true }) res: { status(code: number): unknown }): Promise<HealthReport> {
    const checks = await this.checks.run();
    const ok = checks.postgres.status === 'up' && checks.redis.status === 'up';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', version, checks };
  }
}
