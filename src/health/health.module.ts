import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { HealthChecksService } from './health-checks.service';
import { HealthController } from './health.controller';

@Module({ imports: [QueueModule], controllers: [HealthController], providers: [HealthChecksService] })
export class HealthModule {}
