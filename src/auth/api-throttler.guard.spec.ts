import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SettingsModule } from '../config/settings.module';
import { DatabaseModule } from '../database/database.module';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from '../../test/support/test-database';
import { AuthModule } from './auth.module';
import { THROTTLED_MESSAGE } from './api-throttler.guard';

/** Stand-in for the captures controller: the 'upload' limit is applied by route, without its help. */
@Controller('captures')
class FakeCapturesController {
  @Post()
  @HttpCode(202)
  upload(): { status: string } {
    return { status: 'queued' };
  }

  @Get()
  list(): { captures: [] } {
    return { captures: [] };
  }
}

describe('rate limits over HTTP (AuthModule + a POST /captures route)', () => {
  const KEY = 'throttle-spec-admin-key-0123456789';
  let db: TestDatabase;
  let app: INestApplication;
  let base: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      REDIS_PREFIX: testRedisPrefix(),
      API_KEY: KEY,
      SECRET_KEY: 'throttle-spec-secret-0123456789abcdef',
      THROTTLE_LIMIT: '6',
      THROTTLE_UPLOAD_LIMIT: '2',
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const mod = await Test.createTestingModule({
      imports: [SettingsModule, DatabaseModule, AuthModule],
      controllers: [FakeCapturesController],
    }).compile();
    app = mod.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('uploads hit THROTTLE_UPLOAD_LIMIT first (Retry-After), other routes keep the general budget, shared by the key and its JWTs', async () => {
    const token = (await (
      await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'x-api-key': KEY } })
    ).json()) as {
      accessToken: string;
    };
    const viaKey = { 'x-api-key': KEY };
    const viaJwt = { authorization: `Bearer ${token.accessToken}` };
    const post = (h: Record<string, string>) => fetch(`${base}/captures`, { method: 'POST', headers: h });
    expect((await post(viaKey)).status).toBe(202);
    expect((await post(viaJwt)).status).toBe(202);
    const third = await post(viaKey);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(third.headers.get('retry-after-upload')).toBeNull();
    expect(await third.json()).toEqual({ statusCode: 429, message: THROTTLED_MESSAGE });
    // token (1) + 3 uploads = 4 of 6: two more reads, then the general limit.
    const reads = [];
    for (let i = 0; i < 3; i++)
      reads.push((await fetch(`${base}/captures`, { headers: i % 2 ? viaJwt : viaKey })).status);
    expect(reads).toEqual([200, 200, 429]);
  });
});
