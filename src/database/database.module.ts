import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { dataSourceOptions } from './data-source';

/** TypeORM on PostgreSQL for the API and the workers; migrations run at start when MIGRATIONS_RUN=true. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [SETTINGS],
      useFactory: (s: Settings) => ({
        ...dataSourceOptions(s.databaseUrl),
        migrationsRun: s.migrationsRun,
        // Keep trying while PostgreSQL starts (compose, CI): 10 tries, 2 s apart, then fail start-up clearly.
        retryAttempts: 10,
        retryDelay: 2000,
      }),
    }),
  ],
})
export class DatabaseModule {}
