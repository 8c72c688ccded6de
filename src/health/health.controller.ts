import { Controller, Get } from '@nestjs/common';
import { version } from '../../package.json';

/** Liveness for load balancers and compose; the service issue adds PostgreSQL/Redis/worker checks. */
@Controller('health')
export class HealthController {
  @Get()
  health(): { status: 'ok'; version: string } {
    return { status: 'ok', version };
  }
}
