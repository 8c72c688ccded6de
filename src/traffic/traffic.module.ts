import { Module } from '@nestjs/common';
import { DataController } from './data.controller';
import { DataService } from './data.service';
import { NetworkStatsController } from './network-stats.controller';
import { NetworkStatsService } from './network-stats.service';

/** The traffic summary API: GET /data and GET /network_stats (tables filled by writeSummary). */
@Module({
  controllers: [DataController, NetworkStatsController],
  providers: [DataService, NetworkStatsService],
})
export class TrafficModule {}
