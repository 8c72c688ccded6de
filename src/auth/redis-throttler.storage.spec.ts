import { createServer, type AddressInfo } from 'node:net';
import { testRedisPrefix } from '../../test/support/test-database';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** The rate-limit counters on the real Redis, under a prefix of this suite's own. */
describe('RedisThrottlerStorage', () => {
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const open: RedisThrottlerStorage[] = [];
  const storage = (redisPrefix: string, url = redisUrl) => {
    const s = new RedisThrottlerStorage({ redisUrl: url, redisPrefix });
    open.push(s);
    return s;
  };
  afterAll(async () => {
    open.forEach((s) => s.onModuleDestroy());
    // ioredis leaves the commandTimeout timer of a command it rejected running (1 s, then no-op).
    await new Promise((r) => setTimeout(r, 1100));
  });

  it('two API processes (two storages, one prefix) share one budget; another prefix has its own', async () => {
    const prefix = testRedisPrefix();
    const a = storage(prefix);
    const b = storage(prefix);
    const other = storage(testRedisPrefix());
    const hits = [];
    for (let i = 0; i < 3; i++)
      hits.push((await (i % 2 ? b : a).increment('key:k1', 60_000, 3, 60_000, 'default')).totalHits);
    expect(hits).toEqual([1, 2, 3]);
    const over = await b.increment('key:k1', 60_000, 3, 60_000, 'default');
    expect(over).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 60 });
    expect(await a.increment('key:k1', 60_000, 3, 60_000, 'default')).toMatchObject({ isBlocked: true });
    expect(await a.increment('key:k1', 60_000, 3, 60_000, 'upload')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await other.increment('key:k1', 60_000, 3, 60_000, 'default')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('the window restarts when the block ends', async () => {
    const s = storage(testRedisPrefix());
    const r1 = await s.increment('ip:127.0.0.1', 1000, 1, 300, 'default');
    expect(r1).toMatchObject({ totalHits: 1, isBlocked: false, timeToExpire: 1 });
    expect(await s.increment('ip:127.0.0.1', 1000, 1, 300, 'default')).toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 1,
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(await s.increment('ip:127.0.0.1', 1000, 1, 300, 'default')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('lets requests through when Redis does not answer (limits are for capacity; keys are 256-bit)', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const s = storage(testRedisPrefix(), `redis://127.0.0.1:${port}`);
    expect(await s.increment('key:k', 60_000, 1, 60_000, 'default')).toEqual({
      totalHits: 0,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });
});
