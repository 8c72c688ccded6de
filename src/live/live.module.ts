import { Module } from '@nestjs/common';
import { LiveController } from './live.controller';
import { LiveSessionsService } from './live-sessions.service';

/** Live interface capture (issue 7): sessions feed the same chunks → BullMQ → workers path as uploads. */
@Module({
  controllers: [LiveController],
  providers: [LiveSessionsService],
})
export class LiveModule {}
