import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './auth/api-key.guard';
import { CapturesModule } from './captures/captures.module';
import { SettingsModule } from './config/settings.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { FindingsModule } from './findings/findings.module';
import { HealthModule } from './health/health.module';
import { IntelModule } from './intel/intel.module';

@Module({
  imports: [SettingsModule, DatabaseModule, IntelModule, HealthModule, CapturesModule, FindingsModule, EventsModule],
  // One global guard: every route needs a key unless it is @Public() (auth.decorators.ts).
  providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
})
export class AppModule {}
