import { listenForTests } from './listen-for-tests';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { setupOpenApi } from '../../src/openapi';
import { TEST_API_KEY } from './service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './test-database';
import { deleteRedisKeys } from './test-resources';

/**
 * The whole API (AppModule + OpenAPI, as main.ts builds it) in this process on a real port, with a
 * fresh database, its own Redis prefix and data dir. Settings are read from the environment at
 * module creation and the key guard reads API_KEY per request, so the environment is set for the
 * app's lifetime and restored by close().
 */
export interface TestApi {
  app: INestApplication;
  url: string;
  db: TestDatabase;
  dataDir: string;
  redisPrefix: string;
  /** Headers with the admin key. */
  auth: { 'X-API-Key': string };
  close(): Promise<void>;
}

export async function startTestApi(opts: { env?: Record<string, string>; db?: TestDatabase } = {}): Promise<TestApi> {
  const db = opts.db ?? (await createTestDatabase());
  const dataDir = await mkdtemp(join(tmpdir(), 'nw-api-'));
  const redisPrefix = testRedisPrefix();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: redisPrefix,
    NETWARDEN_DATA_DIR: dataDir,
    API_KEY: TEST_API_KEY,
    ...opts.env,
  };
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const mod = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = mod.createNestApplication({ logger: false });
  app.enableShutdownHooks();
  setupOpenApi(app);
  const url = (await listenForTests(app)).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    db,
    dataDir,
    redisPrefix,
    auth: { 'X-API-Key': TEST_API_KEY },
    async close() {
      await app.close();
      if (!opts.db) await db.drop();
      await deleteRedisKeys(redisPrefix);
      await rm(dataDir, { recursive: true, force: true });
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}
