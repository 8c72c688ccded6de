import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { loadSettings } from './config/settings';
import { setupOpenApi } from './openapi';

async function bootstrap(): Promise<void> {
  const settings = loadSettings();
  const app = await NestFactory.create(AppModule, { bufferLogs: false });
  app.enableShutdownHooks();
  setupOpenApi(app);
  await app.listen(settings.port, settings.host);
  const addr = app.getHttpServer().address() as AddressInfo;
  // One parseable line: tests and scripts start the API with PORT=0 and read the port from it.
  process.stdout.write(`netwarden api listening on http://${settings.host}:${addr.port}\n`);
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`netwarden: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
