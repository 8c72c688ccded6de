import { randomUUID } from 'node:crypto';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import Redis from 'ioredis';
import { EventBusService } from '../src/events/event-bus.service';
import { eventsChannel, type ServiceEvent } from '../src/queue/service-events';
import { startTestApi, type TestApi } from './support/api-app';

/**
 * GET /events over a real HTTP connection, fed by real Redis PUBLISHes on the suite's own
 * channel: filtering, heartbeats, one Redis subscriber however many clients, clean-up on
 * disconnect, and a client that stops reading dropped instead of buffered for.
 */
interface SseClient {
  req: ClientRequest;
  res: IncomingMessage;
  /** Everything received so far, as text. */
  text(): string;
  /** The `event:`/`data:` frames received so far (comments left out). */
  events(): Array<{ event: string; data: unknown }>;
  ended: Promise<void>;
  close(): void;
}

function connect(url: string, headers: Record<string, string>, opts: { paused?: boolean } = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      let buf = '';
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
      });
      res.setEncoding('utf8');
      if (opts.paused) res.pause();
      else res.on('data', (d: string) => (buf += d));
      const client: SseClient = {
        req,
        res,
        text: () => buf,
        events: () =>
          buf
            .split('\n\n')
            .filter((block) => block.startsWith('event: '))
            .map((block) => {
              const [ev, data] = block.split('\n');
              return { event: ev.slice('event: '.length), data: JSON.parse(data.slice('data: '.length)) as unknown };
            }),
        ended,
        close: () => req.destroy(),
      };
      if (opts.paused || res.statusCode !== 200) {
        resolve(client);
        return;
      }
      // Subscribed once the opening comment is in.
      const ready = () => {
        if (buf.includes(': connected\n\n')) {
          res.off('data', ready);
          resolve(client);
        }
      };
      res.on('data', ready);
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GET /events (server-sent events)', () => {
  let api: TestApi;
  let pub: Redis;
  let channel: string;
  let bus: EventBusService;
  const clients: SseClient[] = [];

  const open = async (query = '', opts: { paused?: boolean } = {}) => {
    const c = await connect(`${api.url}/events${query}`, api.auth, opts);
    clients.push(c);
    return c;
  };
  const subscribers = async () =>
    Number(((await pub.call('PUBSUB', 'NUMSUB', channel)) as [string, number | string])[1]);

  beforeAll(async () => {
    api = await startTestApi({ env: { EVENTS_HEARTBEAT_MS: '200', EVENTS_CLIENT_BUFFER_BYTES: '65536' } });
    channel = eventsChannel(api.redisPrefix);
    pub = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    bus = api.app.get(EventBusService);
    await until(async () => (await subscribers()) === 1, 'the API to subscribe');
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await api?.close();
    expect(await subscribers()).toBe(0); // the subscriber left with the app
    await pub?.quit();
  });

  it('needs the key and a UUID capture filter', async () => {
    const noKey = await connect(`${api.url}/events`, {});
    expect(noKey.res.statusCode).toBe(401);
    noKey.close();
    const bad = await connect(`${api.url}/events?capture=x`, api.auth);
    expect(bad.res.statusCode).toBe(400);
    bad.close();
  });

  it('relays published events as they are, filtered by capture, through one Redis subscriber', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const onlyA = await open(`?capture=${a}`);
    const everyone = await open();
    expect(onlyA.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(onlyA.res.headers['cache-control']).toBe('no-store, no-transform');
    expect(await subscribers()).toBe(1); // fan-out in-process, not a subscriber per client

    const progress: ServiceEvent = {
      type: 'capture.progress',
      captureId: a,
      status: 'analysing',
      chunksDone: 1,
      chunksTotal: 3,
      packets: 100,
      bytes: 6400,
    };
    const finding = {
      type: 'finding',
      captureId: b,
      created: true,
      finding: { id: 'f'.repeat(32), title: 'line\nbreak </script>', evidence: { frames: [1], framesTotal: 1 } },
    };
    const done: ServiceEvent = { type: 'capture.done', captureId: a, status: 'done', reason: null };
    await pub.publish(channel, JSON.stringify(progress));
    await pub.publish(channel, 'not json');
    await pub.publish(channel, JSON.stringify({ type: 'capture.done' })); // no captureId: dropped
    await pub.publish(channel, JSON.stringify(finding));
    await pub.publish(channel, JSON.stringify(done));

    await until(() => everyone.events().length === 3 && onlyA.events().length === 2, 'the events');
    expect(everyone.events()).toEqual([
      { event: 'capture.progress', data: progress },
      { event: 'finding', data: finding },
      { event: 'capture.done', data: done },
    ]);
    expect(onlyA.events()).toEqual([
      { event: 'capture.progress', data: progress },
      { event: 'capture.done', data: done },
    ]);
  });

  it('sends a heartbeat comment at the configured interval', async () => {
    const c = await open();
    await until(() => c.text().includes(': heartbeat\n\n'), 'a heartbeat', 3000);
  });

  it('forgets a client when it disconnects', async () => {
    const before = bus.clientCount;
    const c = await open();
    expect(bus.clientCount).toBe(before + 1);
    c.close();
    await until(() => bus.clientCount === before, 'the listener to go');
  });

  it('drops a client that stops reading instead of buffering for it; the others go on', async () => {
    for (const c of clients.splice(0)) c.close();
    await until(() => bus.clientCount === 0, 'earlier clients to go');
    const slow = await open('', { paused: true });
    await until(() => bus.clientCount === 1, 'the slow client to subscribe');
    const big = { type: 'capture.progress', captureId: randomUUID(), pad: 'x'.repeat(16 * 1024) };
    // Enough to fill the loopback socket buffers and then the 64 KiB allowance behind them.
    for (let i = 0; i < 2000 && bus.clientCount > 0; i++) await pub.publish(channel, JSON.stringify(big));
    await until(() => bus.clientCount === 0, 'the slow client to be dropped', 10_000);
    slow.res.resume();
    await slow.ended; // the server ended the stream

    const fresh = await open();
    const e = { type: 'capture.done', captureId: randomUUID(), status: 'done', reason: null };
    await pub.publish(channel, JSON.stringify(e));
    await until(() => fresh.events().length === 1, 'an event on a new connection');
    expect(fresh.events()).toEqual([{ event: 'capture.done', data: e }]);
  }, 30_000);
});
