import { Controller, Get } from '@nestjs/common';
import { version } from '../../package.json';
import { Public } from '../auth/auth.decorators';

/** Liveness for load balancers and compose; the service issue adds PostgreSQL/Redis/worker checks. */
@Public()
@Controller('health')
export class HealthController {
  @Get()
  health(): { status: 'ok'; version: string } {
    return { status: 'ok', version };
  }
}
