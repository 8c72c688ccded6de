import { Module } from '@nestjs/common';
import { AlertsController } from './alerts.controller';
import { FindingsQueryService } from './findings-query.service';

/** Findings in the API: GET /alerts, /alerts/:id and the evidence pcap. */
@Module({
  controllers: [AlertsController],
  providers: [FindingsQueryService],
  exports: [FindingsQueryService],
})
export class FindingsModule {}
