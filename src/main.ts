import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { nestLogLevels } from './config/log-levels';
import { SettingsError, type Settings } from './config/settings';
import { describeConnections, loadServiceSettings, missingDatabaseMessage } from './config/service-settings';
import { missingDatabase } from './database/missing-database';
import { configureApp } from './http/configure-app';
import { readHttpsOptions } from './http/https-options';
import { applyKeepAlive } from './http/keep-alive';
import { startRedirectServer } from './http/redirect-server';
import { setupOpenApi } from './openapi';
import { secureDataDir } from './storage/secure-data-dir';

let settings: Settings | undefined;

async function bootstrap(): Promise<void> {
  // Settings and certificate problems surface here, before Nest logs anything, as one line.
  const loaded = loadServiceSettings();
  settings = loaded.settings;
  process.stdout.write(`netwarden api: ${describeConnections(settings, loaded.dotEnvPath)}\n`);
  const missing = await missingDatabase(settings.databaseUrl);
  if (missing) throw new SettingsError(missing);
  secureDataDir(settings.dataDir, (line) => new Logger('DataDir').warn(line));
  const httpsOptions = settings.https.enabled ? readHttpsOptions(settings) : undefined;
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bufferLogs: false,
    // Start-up errors reach the catch below (one line, a missing database explained) instead of Nest's stack dump.
    abortOnError: false,
    httpsOptions,
    logger: nestLogLevels(settings.logLevel),
  });
  configureApp(app, settings);
  app.enableShutdownHooks();
  setupOpenApi(app);
  applyKeepAlive(app.getHttpServer());
  await app.listen(settings.port, settings.host);
  const addr = app.getHttpServer().address() as AddressInfo;
  const scheme = httpsOptions ? 'https' : 'http';
  // One parseable line: tests and scripts start the API with PORT=0 and read the port from it.
  process.stdout.write(`netwarden api listening on ${scheme}://${settings.host}:${addr.port}\n`);
  if (httpsOptions && settings.https.redirectHttpPort !== null) {
    const redirect = await startRedirectServer(settings.https.redirectHttpPort, settings.host, addr.port);
    app.getHttpServer().once('close', () => redirect.close());
    const r = redirect.address() as AddressInfo;
    process.stdout.write(`netwarden api redirecting http://${settings.host}:${r.port} to https\n`);
  }
}

bootstrap().catch((err: unknown) => {
  // A settings problem is the operator's to fix: the message names the variable, no stack trace.
  const missing = settings ? missingDatabaseMessage(err, settings.databaseUrl) : null;
  const message = missing ?? (err instanceof Error ? err.message : String(err));
  process.stderr.write(`netwarden: ${err instanceof SettingsError ? 'configuration: ' : ''}${message}\n`);
  process.exit(1);
});
