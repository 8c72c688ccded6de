import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { request, Agent } from 'node:http';
import Redis from 'ioredis';
import { version } from '../package.json';
import { eventsChannel } from '../src/queue/service-events';
import { ROOT } from './support/paths';
import { seedCapture } from './support/seed-capture';
import { serviceEnv, startApi, TEST_API_KEY, type ApiProcess } from './support/service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';

/**
 * The built API as `npm run start:api` runs it (dist/; run `npm run build` first): health,
 * OpenAPI, alerts, an evidence pcap and one relayed event, end to end in a real process.
 */
const built = existsSync(join(ROOT, 'dist', 'src', 'main.js'));

(built ? describe : describe.skip)('API process (dist)', () => {
  let db: TestDatabase;
  let api: ApiProcess;
  let dataDir: string;
  const prefix = testRedisPrefix();
  const auth = { 'X-API-Key': TEST_API_KEY };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'nw-proc-'));
    api = await startApi(serviceEnv({ databaseUrl: db.url, redisPrefix: prefix, dataDir }));
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves health, docs, alerts, evidence and events', async () => {
    const health = await fetch(`${api.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', version });
    expect((await fetch(`${api.url}/docs-json`)).status).toBe(401);
    expect((await fetch(`${api.url}/docs-json`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${api.url}/alerts`)).status).toBe(401);

    const file = join(ROOT, '..', 'shared', 'pcaps', 'attacks', 'scan-syn.pcap');
    const s = await seedCapture(db.dataSource, dataDir, file);
    const page = (await (await fetch(`${api.url}/alerts?capture=${s.id}`, { headers: auth })).json()) as {
      items: Array<{ id: string }>;
      total: number;
    };
    expect(page.total).toBeGreaterThan(0);
    const pcap = await fetch(`${api.url}/alerts/${page.items[0].id}/pcap`, { headers: auth });
    expect(pcap.status).toBe(200);
    expect(Buffer.from(await pcap.arrayBuffer()).readUInt32LE(0)).toBe(0xa1b2c3d4);

    const ctrl = new AbortController();
    const res = await fetch(`${api.url}/events`, { headers: auth, signal: ctrl.signal });
    const reader = res.body!.getReader();
    const pub = new Redis('redis://127.0.0.1:6379');
    try {
      let text = '';
      const event = JSON.stringify({ type: 'capture.done', captureId: s.id, status: 'done', reason: null });
      const t0 = Date.now();
      while (!text.includes(`data: ${event}`) && Date.now() - t0 < 10_000) {
        await pub.publish(eventsChannel(prefix), event);
        const { value } = await reader.read();
        text += Buffer.from(value ?? new Uint8Array()).toString('utf8');
      }
      expect(text).toContain(`event: capture.done\ndata: ${event}\n\n`);
    } finally {
      ctrl.abort();
      await pub.quit();
    }
  }, 60_000);

  it("keeps an idle keep-alive connection past Node's default 5 s: a client that paused reuses it without a reset", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
        const req = request(`${api.url}/health`, { agent }, (res) => {
          res.resume();
          res.once('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket }));
        });
        req.once('error', reject);
        req.end();
      });
    try {
      const first = await get();
      await new Promise((r) => setTimeout(r, 6000));
      const second = await get();
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.socket).toBe(first.socket); // the same connection, still open
    } finally {
      agent.destroy();
    }
  }, 30_000);
});
