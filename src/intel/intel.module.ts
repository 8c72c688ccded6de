import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { IntelController } from './intel.controller';
import { IntelService } from './intel.service';

/** Threat-intelligence feeds in the service: scheduled refresh, the current index, the feeds API. */
@Module({
  imports: [ScheduleModule.forRoot()],
  controllers: [IntelController],
  providers: [IntelService],
  exports: [IntelService],
})
export class IntelModule {}
