import { Module } from '@nestjs/common';
import { HealthController } from './health/health.controller';
import { IntelModule } from './intel/intel.module';

@Module({
  imports: [IntelModule],
  controllers: [HealthController],
})
export class AppModule {}
