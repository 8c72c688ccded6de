import { Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { CapturesModule } from './captures/captures.module';
import { SettingsModule } from './config/settings.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { FindingsModule } from './findings/findings.module';
import { HealthModule } from './health/health.module';
import { IntelModule } from './intel/intel.module';
import { LiveModule } from './live/live.module';
import { TrafficModule } from './traffic/traffic.module';

@Module({
  // AuthModule installs the one global guard: every route needs a key or JWT, with the role src/auth/route-access.ts names.
  imports: [
    SettingsModule,
    DatabaseModule,
    AuthModule,
    IntelModule,
    HealthModule,
    CapturesModule,
    FindingsModule,
    EventsModule,
    TrafficModule,
    LiveModule,
  ],
})
export class AppModule {}
