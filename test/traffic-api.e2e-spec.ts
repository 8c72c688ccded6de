import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { AppModule } from '../src/app.module';
import { SEVERITIES } from '../src/engine/finding';
import { listenForTests } from './support/listen-for-tests';
import { SHARED_PCAPS } from './support/paths';
import { storeRun } from './support/summary-db';
import { loadRecords } from './support/capture-records';
import { runSummary, type SummaryRun } from './support/summary-run';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { tshark, tsharkEndpoints, tsharkStreams } from './support/tshark-summary';

/**
 * GET /data and GET /network_stats over real HTTP on a real PostgreSQL, with the tables filled the
 * way the worker fills them (Pipeline + TrafficSummary per chunk, upsertFindings + writeSummary in
 * one transaction per chunk). Expected values come from tshark, not from our own code.
 */
const KEY = 'traffic-api-test-key-0123456789';
const attack = (name: string) => join(SHARED_PCAPS, 'attacks', name);

describe('traffic API (/data, /network_stats)', () => {
  let app: INestApplication;
  let db: TestDatabase;
  let base: string;
  const ids = { web: randomUUID(), tls: randomUUID(), ftp: randomUUID() };
  const runs: Record<string, SummaryRun> = {};
  const saved = { db: process.env.DATABASE_URL, key: process.env.API_KEY };

  beforeAll(async () => {
    db = await createTestDatabase();
    const files: Record<keyof typeof ids, string> = {
      web: 'clean-web.pcap',
      tls: 'tls-cert-change-a.pcap',
      ftp: 'ftp-login.pcap',
    };
    for (const k of Object.keys(ids) as Array<keyof typeof ids>) {
      runs[k] = runSummary(loadRecords(attack(files[k])), [5, 17, 30], { captureId: ids[k] });
      await storeRun(db.dataSource.manager, ids[k], files[k], runs[k]);
    }
    process.env.DATABASE_URL = db.url;
    process.env.API_KEY = KEY;
    const mod = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = mod.createNestApplication({ logger: false });
    base = await listenForTests(app);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    for (const [name, v] of [
      ['DATABASE_URL', saved.db],
      ['API_KEY', saved.key],
    ] as const) {
      if (v === undefined) delete process.env[name];
      else process.env[name] = v;
    }
  });

  const get = async (path: string, key: string | null = KEY) => {
    const res = await fetch(`${base}${path}`, { headers: key === null ? {} : { 'x-api-key': key } });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & { items: Array<Record<string, unknown>> },
    };
  };

  it('needs the API key', async () => {
    expect((await get(`/data?capture=${ids.web}`, null)).status).toBe(401);
    expect((await get('/network_stats', 'wrong-key-wrong-key')).status).toBe(401);
  });

  it('/data flows: the TCP connections tshark sees, paged and filtered by ip', async () => {
    const all = await get(`/data?capture=${ids.web}&kind=flows&sort=firstFrame&limit=500`);
    expect(all.status).toBe(200);
    const tcp = all.body.items.filter((f) => f.transport === 'tcp');
    expect(
      tcp.map((f) => ({
        firstFrame: f.firstFrame,
        clientIp: f.clientIp,
        clientPort: f.clientPort,
        serverIp: f.serverIp,
        serverPort: f.serverPort,
        packetsToServer: f.packetsToServer,
        bytesToServer: f.bytesToServer,
        packetsToClient: f.packetsToClient,
        bytesToClient: f.bytesToClient,
      })),
    ).toEqual(tsharkStreams(attack('clean-web.pcap')));
    expect(tcp.map((f) => [f.app, f.state, f.final])).toEqual([
      ['http', 'closed', true],
      ['http', 'closed', true],
      ['http', 'closed', true],
    ]);
    const icmpEchoes = tshark(attack('clean-web.pcap'), ['-Y', 'icmp']).length;
    expect(
      all.body.items
        .filter((f) => f.transport === 'icmp')
        .map((f) => [f.clientIp, f.serverIp, Number(f.packetsToServer) + Number(f.packetsToClient)]),
    ).toEqual([['10.231.0.10', '10.231.0.1', icmpEchoes]]);
    expect(all.body.total).toBe(all.body.items.length);

    const page2 = await get(`/data?capture=${ids.web}&kind=flows&sort=firstFrame&limit=1&page=2`);
    expect(page2.body).toMatchObject({ page: 2, limit: 1, total: all.body.total });
    expect(page2.body.items).toEqual([all.body.items[1]]);
    const byBytes = await get(`/data?capture=${ids.web}&kind=flows&sort=-bytes&limit=500`);
    const bytes = byBytes.body.items.map((f) => Number(f.bytes));
    expect(bytes).toEqual([...bytes].sort((a, b) => b - a));

    const gw = await get(`/data?capture=${ids.web}&kind=flows&ip=10.231.0.1`);
    expect(gw.body.items.map((f) => f.transport)).toEqual(['icmp']);
  });

  it('/data hosts: tshark endpoints, biggest first by default', async () => {
    const res = await get(`/data?capture=${ids.web}&kind=hosts`);
    const expected = [...tsharkEndpoints(attack('clean-web.pcap'))]
      .map(([ip, e]) => ({ ip, ...e }))
      .sort((a, b) => b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived) || (a.ip < b.ip ? -1 : 1));
    const v4 = res.body.items.filter((h) => !String(h.ip).includes(':'));
    expect(
      v4.map((h) => ({
        ip: h.ip,
        packetsSent: h.packetsSent,
        bytesSent: h.bytesSent,
        packetsReceived: h.packetsReceived,
        bytesReceived: h.bytesReceived,
      })),
    ).toEqual(expected);
    expect(v4.every((h) => h.internal === true)).toBe(true);
  });

  it('/data tls: both certificates of bank.test, as tshark decodes them', async () => {
    const res = await get(`/data?capture=${ids.tls}&kind=tls`);
    expect(res.body.total).toBe(2);
    expect(res.body.items.map((r) => [r.serverIp, r.serverPort, r.sni, r.count, r.selfSigned])).toEqual([
      ['10.231.0.20', 443, 'bank.test', 1, true],
      ['10.231.0.20', 443, 'bank.test', 1, true],
    ]);
    const frames = tshark(attack('tls-cert-change-a.pcap'), [
      '-Y',
      'tls.handshake.certificate',
      '-T',
      'fields',
      '-e',
      'frame.number',
    ]);
    expect(res.body.items.map((r) => r.firstFrame)).toEqual(frames.map(Number));
    expect(new Set(res.body.items.map((r) => r.sha256)).size).toBe(2);
  });

  it('/data credentials: user, protocol, outcome and the masked secret only', async () => {
    const res = await fetch(`${base}/data?capture=${ids.ftp}&kind=credentials`, { headers: { 'x-api-key': KEY } });
    const text = await res.text();
    expect(text).not.toContain('Tr0ub4dor');
    const body = JSON.parse(text) as { items: Array<Record<string, unknown>> };
    const finding = runs.ftp.findings.find((f) => f.detector === 'plaintext-credentials')!;
    expect(
      body.items.map((c) => [
        c.findingId,
        c.protocol,
        c.user,
        c.clientIp,
        c.serverIp,
        c.serverPort,
        c.outcome,
        c.maskedSecret,
      ]),
    ).toEqual([[finding.id, 'ftp', 'alice', '10.231.0.10', '10.231.0.20', 21, 'succeeded', finding.evidence.secret]]);
    // Across all captures: still the one credential.
    expect((await get('/data?kind=credentials')).body.total).toBe(1);
  });

  it('/network_stats of one capture: totals, mix, talkers, severities and the series agree with tshark', async () => {
    const file = attack('clean-web.pcap');
    const res = await get(`/network_stats?capture=${ids.web}`);
    expect(res.status).toBe(200);
    const lens = tshark(file, ['-T', 'fields', '-e', 'frame.len']).map(Number);
    const endpoints = tsharkEndpoints(file);
    const totals = res.body.totals as Record<string, unknown>;
    expect(totals.packets).toBe(47); // MANIFEST.md
    expect(totals.packets).toBe(lens.length);
    expect(totals.bytes).toBe(lens.reduce((a, b) => a + b, 0));
    // Non-TCP conversations: the ICMP echo to the gateway, and each IPv6 conversation (MLD report).
    const ipv6Rows = (stat: string) =>
      tshark(file, ['-q', '-z', stat]).filter((l) => /^[0-9a-f]*:[0-9a-f:]+\s/.test(l.trim())).length;
    expect(ipv6Rows('conv,ipv6')).toBe(1);
    expect(totals.flows).toBe(tsharkStreams(file).length + 1 + ipv6Rows('conv,ipv6'));
    expect(totals.hosts).toBe(endpoints.size + ipv6Rows('endpoints,ipv6'));
    const epoch = tshark(file, ['-T', 'fields', '-e', 'frame.time_epoch']).map(Number);
    expect(totals.firstSeen).toBe(new Date(Math.floor(epoch[0] * 1000)).toISOString());
    const protocols = res.body.protocols as Record<string, { packets: number }>;
    expect(protocols.tcp.packets).toBe(tshark(file, ['-Y', 'tcp']).length);
    expect(protocols.icmp.packets).toBe(tshark(file, ['-Y', 'icmp or icmpv6']).length); // one 'icmp' for both
    expect(Object.values(protocols).reduce((n, p) => n + p.packets, 0)).toBe(47);
    expect((res.body.apps as Record<string, { packets: number }>).http.packets).toBeGreaterThan(0);
    const talkers = res.body.topTalkers as Array<{ ip: string; bytes: number }>;
    expect(talkers.filter((t) => !t.ip.includes(':')).map((t) => [t.ip, t.bytes])).toEqual(
      [...endpoints].map(([ip, e]) => [ip, e.bytesSent + e.bytesReceived]).sort((a, b) => Number(b[1]) - Number(a[1])),
    );
    const sev = Object.fromEntries(
      SEVERITIES.map((s) => [s, runs.web.findings.filter((f) => f.severity === s).length]),
    );
    expect(res.body.findingsBySeverity).toEqual(sev);
    const series = res.body.overTime as Array<{ minute: string; packets: number }>;
    expect(series.reduce((n, b) => n + b.packets, 0)).toBe(47);
    const minutes = new Set(epoch.map((t) => new Date(Math.floor(t / 60) * 60000).toISOString()));
    expect(series.map((b) => b.minute)).toEqual([...minutes].sort());
  });

  it('/network_stats across captures and within a time range', async () => {
    const all = await get('/network_stats');
    const packets = Object.values(runs).reduce((n, r) => n + r.stats.packets, 0);
    expect((all.body.totals as { packets: number }).packets).toBe(packets);
    const findings = Object.values(runs).reduce((n, r) => n + r.findings.length, 0);
    expect(Object.values(all.body.findingsBySeverity as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(
      findings,
    );

    const last = runs.web.stats.lastTime!;
    const after = await get(`/network_stats?capture=${ids.web}&from=${Math.ceil(last / 60) * 60 + 120}`);
    expect(after.status).toBe(200);
    expect(after.body.totals).toMatchObject({ packets: 0, bytes: 0, flows: 0, hosts: 0 });
    expect(after.body.overTime).toEqual([]);
    const within = await get(
      `/network_stats?capture=${ids.web}&from=${new Date((runs.web.stats.firstTime! - 1) * 1000).toISOString()}&to=${new Date((last + 1) * 1000).toISOString()}`,
    );
    expect((within.body.totals as { packets: number }).packets).toBe(47);
  });

  it.each([
    ['/data?kind=packets', 'kind'],
    ['/data?page=0', 'page'],
    ['/data?limit=501', 'limit'],
    ['/data?limit=1e3', 'limit'],
    ['/data?sort=password', 'sort'],
    ['/data?kind=hosts&sort=serverPort', 'sort'],
    ['/data?ip=10.0.0.300', 'ip'],
    ['/data?capture=1%27%20OR%201=1', 'capture'],
    ['/data?kind=flows&kind=hosts', 'kind'],
    ['/data?evil=1', 'evil'],
    ['/network_stats?from=yesterday', 'from'],
    ['/network_stats?from=2030-01-01&to=2020-01-01', 'from'],
    ['/network_stats?capture=x', 'capture'],
  ])('%s → 400 naming %s', async (path, name) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(String(res.body.message)).toContain(name);
  });

  it('unknown capture → 404 on both', async () => {
    const id = randomUUID();
    expect((await get(`/data?capture=${id}`)).status).toBe(404);
    expect((await get(`/network_stats?capture=${id}`)).status).toBe(404);
  });
});
