import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './auth/api-key.guard';
import { SettingsModule } from './config/settings.module';
import { DatabaseModule } from './database/database.module';
import { HealthController } from './health/health.controller';
import { IntelModule } from './intel/intel.module';
import { TrafficModule } from './traffic/traffic.module';

@Module({
  imports: [SettingsModule, DatabaseModule, IntelModule, TrafficModule],
  controllers: [HealthController],
  // One global guard: every route needs a key unless it is @Public() (auth.decorators.ts).
  providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
})
export class AppModule {}
