import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { AccessGuard } from './access.guard';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyStrategy } from './api-key.strategy';
import { ApiKeysService } from './api-keys.service';
import { ApiThrottlerGuard, throttlerOptions } from './api-throttler.guard';
import { AuthController } from './auth.controller';
import { CredentialsGuard } from './credentials.guard';
import { JwtStrategy } from './jwt.strategy';
import { jwtSigningKey } from './key-material';
import { RedisThrottlerStorage, ThrottlerStorageModule } from './redis-throttler.storage';
import { RouteAccessCheck } from './route-access.check';
import { TokenService } from './token.service';

/**
 * Authentication, authorisation and rate limiting for every route: importing this module
 * installs AccessGuard globally (APP_GUARD). Needs SettingsModule and a TypeORM connection;
 * rate-limit counters live in Redis (RedisThrottlerStorage) so all API processes share them.
 */
@Module({
  imports: [
    DiscoveryModule,
    TypeOrmModule.forFeature([ApiKeyEntity]),
    PassportModule.register({ session: false }),
    JwtModule.registerAsync({
      inject: [SETTINGS],
      useFactory: (s: Settings) => ({ secret: jwtSigningKey(s.secretKey), signOptions: { algorithm: 'HS256' } }),
    }),
    ThrottlerModule.forRootAsync({
      imports: [ThrottlerStorageModule],
      inject: [SETTINGS, RedisThrottlerStorage],
      useFactory: (s: Settings, storage: RedisThrottlerStorage) => ({ ...throttlerOptions(s), storage }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    ApiKeysService,
    TokenService,
    ApiKeyStrategy,
    JwtStrategy,
    CredentialsGuard,
    ApiThrottlerGuard,
    RouteAccessCheck,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [ApiKeysService],
})
export class AuthModule {}
