import { Controller, Get } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { version } from '../../package.json';
import { Public } from '../auth/auth.decorators';

/** Liveness for load balancers and compose; the service issue adds PostgreSQL/Redis/worker checks. */
// Open and never rate-limited: load balancers and compose poll it.
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  @Get()
  health(): { status: 'ok'; version: string } {
    return { status: 'ok', version };
  }
}
