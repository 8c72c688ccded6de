import { Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { SettingsModule } from './config/settings.module';
import { DatabaseModule } from './database/database.module';
import { HealthController } from './health/health.controller';
import { IntelModule } from './intel/intel.module';

@Module({
  // AuthModule installs the one global guard: every route needs a key or JWT unless @Public().
  imports: [SettingsModule, DatabaseModule, AuthModule, IntelModule],
  controllers: [HealthController],
})
export class AppModule {}
