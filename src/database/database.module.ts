import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { dataSourceOptions, runMigrationsLocked } from './data-source';
import { isMissingDatabase } from '../config/service-settings';

/** TypeORM on PostgreSQL for the API and the workers; migrations run at start when MIGRATIONS_RUN=true. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [SETTINGS],
      useFactory: (s: Settings) => ({
        ...dataSourceOptions(s.databaseUrl),
        // Read by dataSourceFactory below, not by TypeORM (whose own run takes no lock).
        migrationsRun: s.migrationsRun,
        // Keep trying while PostgreSQL starts (compose, CI): 10 tries, 2 s apart, then fail start-up clearly.
        retryAttempts: 10,
        retryDelay: 2000,
        // A database that does not exist will not appear by waiting: fail at once with how to create it.
        toRetry: (err: unknown) => !isMissingDatabase(err),
      }),
      // Migrations (MIGRATIONS_RUN=true) run before any other module sees the DataSource.
      dataSourceFactory: async (options) => {
        const run = options!.migrationsRun === true;
        const ds = await new DataSource({ ...options!, migrationsRun: false } as DataSourceOptions).initialize();
        if (run) await runMigrationsLocked(ds);
        return ds;
      },
    }),
  ],
})
export class DatabaseModule {}
