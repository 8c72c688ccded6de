import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { loadSettings } from './config/settings';

async function bootstrap(): Promise<void> {
  const settings = loadSettings();
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  await app.listen(settings.port, settings.host);
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`netwarden: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
