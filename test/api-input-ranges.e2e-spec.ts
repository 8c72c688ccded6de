import { startTestApi, type TestApi } from './support/api-app';

/**
 * Values the hand-written validators once let through and PostgreSQL then refused (a 500 with a
 * stack in the log, issue 13): UTC offsets beyond ±15:59, times outside years 1970–9999 once the
 * offset is applied, U+0000 in text, IPv6 zone ids. Each must be a 400 naming the parameter, and
 * the last value still accepted on each side of a boundary must answer 200 (so the check is not
 * simply stricter than the database).
 */
const UUID = '7d9f3c2a-4b1e-4c8d-9a6f-0e1d2c3b4a59';

describe('API input ranges: values PostgreSQL refuses are 400s naming the parameter', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  const get = async (path: string) => {
    const r = await fetch(`${api.url}${path}`, { headers: api.auth });
    return { status: r.status, body: (await r.json()) as { message?: string } };
  };

  const refused: Array<[string, string]> = [
    ['/alerts?from=2024-01-01T00:00:00%2B16:00', 'from'],
    ['/alerts?to=2024-01-01T00:00:00-16:00', 'to'],
    [`/alerts?capture=${UUID}&from=2024-01-01T00:00:00%2B16:00`, 'from'],
    ['/alerts?from=2024-01-01T00:00:00%2B15:60', 'from'],
    ['/alerts?from=1969-12-31T23:59:59Z', 'from'],
    ['/alerts?from=1970-01-01T00:30:00%2B01:00', 'from'],
    ['/alerts?to=9999-12-31T23:59:59-14:00', 'to'],
    ['/alerts?type=%00', 'type'],
    ['/alerts?type=a%00b', 'type'],
    ['/alerts?host=fe80::1%25eth0', 'host'],
    ['/network_stats?from=999999999999', 'from'],
    ['/network_stats?to=253402300800', 'to'],
    ['/network_stats?from=9999-12-31T23:59:59-14:00', 'from'],
    [`/network_stats?capture=${UUID}&to=2024-01-01T00:00:00-16:00`, 'to'],
    ['/data?ip=fe80::1%25eth0', 'ip'],
    ['/captures?status=%00', 'status'],
    ['/events?capture=%00', 'capture'],
  ];

  it.each(refused)('%s → 400 naming %s', async (path, name) => {
    const { status, body } = await get(path);
    expect({ status, names: body.message?.startsWith(`${name}:`) }).toEqual({ status: 400, names: true });
  });

  const accepted = [
    '/alerts?from=2024-01-01T00:00:00%2B15:59&to=2024-01-01T00:00:00-15:59',
    '/alerts?from=1970-01-01T00:00:00Z&to=9999-12-31T23:59:59.999999Z',
    '/alerts?from=1970-01-01T01:00:00%2B01:00&to=9999-12-31T09:59:59-14:00',
    '/alerts?type=a%C3%A9b',
    '/network_stats?from=0&to=253402300799',
    '/network_stats?from=1970-01-01&to=9999-12-31T23:59:59Z',
  ];

  it.each(accepted)('%s → 200 (the boundary itself is kept)', async (path) => {
    expect((await get(path)).status).toBe(200);
  });

  it('an upload named with U+0000 is refused before its body is read', async () => {
    const r = await fetch(`${api.url}/captures?name=a%00b`, {
      method: 'POST',
      headers: { ...api.auth, 'content-type': 'application/vnd.tcpdump.pcap' },
      body: Buffer.alloc(24),
    });
    const body = (await r.json()) as { message?: string };
    expect({ status: r.status, names: body.message?.startsWith('name:') }).toEqual({ status: 400, names: true });
  });

  it('a live session name holding U+0000 is refused before anything starts', async () => {
    const r = await fetch(`${api.url}/live`, {
      method: 'POST',
      headers: { ...api.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ interface: 'nw-no-such-if0', name: 'a\u0000b' }),
    });
    const body = (await r.json()) as { message?: string };
    expect({ status: r.status, names: body.message?.startsWith('name:') }).toEqual({ status: 400, names: true });
  });
});
