import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { AppModule } from '../app.module';
import { version } from '../../package.json';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';

describe('GET /health', () => {
  let app: INestApplication;
  let db: TestDatabase;
  const saved = process.env.DATABASE_URL;

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    const mod = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = mod.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  });

  it('answers ok with the package version over real HTTP, without a key', async () => {
    const res = await fetch(`${await app.getUrl()}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version });
  });
});
