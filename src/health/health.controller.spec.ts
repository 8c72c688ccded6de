import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { AppModule } from '../app.module';
import { version } from '../../package.json';

describe('GET /health', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const mod = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = mod.createNestApplication();
    await app.listen(0, '127.0.0.1');
  });
  afterAll(() => app.close());

  it('answers ok with the package version over real HTTP', async () => {
    const res = await fetch(`${await app.getUrl()}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version });
  });
});
