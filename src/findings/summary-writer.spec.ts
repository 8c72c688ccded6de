import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { SHARED_PCAPS } from '../../test/support/paths';
import { loadRecords } from '../../test/support/capture-records';
import { accumulate, runSummary } from '../../test/support/summary-run';
import { storeRun } from '../../test/support/summary-db';
import { CaptureEntity } from '../captures/capture.entity';
import type { FlowRow, HostRow, SummaryDelta } from '../engine/summary/traffic-summary';
import { CredentialEntity } from '../traffic/credential.entity';
import { FlowEntity } from '../traffic/flow.entity';
import { HostEntity } from '../traffic/host.entity';
import { TlsServerEntity } from '../traffic/tls-server.entity';
import { TrafficBucketEntity } from '../traffic/traffic-bucket.entity';
import { writeSummary } from './summary-writer';

const SUMMARY_TABLES = ['flows', 'hosts', 'tls_servers', 'traffic_buckets', 'credentials'];

describe('writeSummary', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('upserts absolute rows: chunks written twice (retries) leave exactly the collector rows', async () => {
    const id = randomUUID();
    const recs = loadRecords(join(SHARED_PCAPS, 'attacks', 'scan-connect.pcap'));
    const run = runSummary(recs, [50, 51, 200, 300], { captureId: id });
    // Every chunk retried once after a "crash": same deltas again.
    await storeRun(db.dataSource.manager, id, 'scan-connect.pcap', { ...run, chunks: [...run.chunks, ...run.chunks] });
    const acc = accumulate(run.chunks);
    const flows = await db.dataSource
      .getRepository(FlowEntity)
      .find({ where: { captureId: id }, order: { firstFrame: 'ASC' } });
    const expected = ([...acc.flows.values()] as FlowRow[]).sort((a, b) => a.firstFrame - b.firstFrame);
    expect(
      flows.map((f) => [f.firstFrame, f.clientIp, f.clientPort, f.serverPort, f.packets, f.bytes, f.state, f.final]),
    ).toEqual(
      expected.map((f) => [
        f.firstFrame,
        f.clientIp,
        f.clientPort,
        f.serverPort,
        f.packetsToServer + f.packetsToClient,
        f.bytesToServer + f.bytesToClient,
        f.state,
        true,
      ]),
    );
    const hosts = await db.dataSource
      .getRepository(HostEntity)
      .find({ where: { captureId: id }, order: { ip: 'ASC' } });
    expect(hosts.map((h) => [h.ip, h.packetsSent, h.bytesSent, h.packetsReceived, h.bytesReceived, h.macs])).toEqual(
      ([...acc.hosts.values()] as HostRow[])
        .sort((a, b) => (a.ip < b.ip ? -1 : 1))
        .map((h) => [h.ip, h.packetsSent, h.bytesSent, h.packetsReceived, h.bytesReceived, h.macs]),
    );
    const buckets = await db.dataSource.getRepository(TrafficBucketEntity).find({ where: { captureId: id } });
    expect(buckets.reduce((n, b) => n + b.packets, 0)).toBe(recs.length);
    // Packet time keeps its microseconds.
    const first = (await db.dataSource.query(
      `SELECT to_char("firstSeen" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS t FROM flows WHERE "captureId" = $1 ORDER BY "firstFrame" LIMIT 1`,
      [id],
    )) as Array<{ t: string }>;
    expect(first[0].t + 'Z').toBe(
      new Date(expected[0].firstSeen * 1000).toISOString().slice(0, 19) +
        '.' +
        String(Math.round((expected[0].firstSeen % 1) * 1e6)).padStart(6, '0') +
        'Z',
    );

    await db.dataSource.getRepository(CaptureEntity).delete({ id });
    for (const t of SUMMARY_TABLES) {
      expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM ${t} WHERE "captureId" = $1`, [id])).toEqual([
        { n: 0 },
      ]);
    }
  });

  it('stores FTP credentials masked only: the clear password reaches no table', async () => {
    const id = randomUUID();
    const run = runSummary(loadRecords(join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap')), [10, 20], { captureId: id });
    await storeRun(db.dataSource.manager, id, 'ftp-login.pcap', run);
    const creds = await db.dataSource.getRepository(CredentialEntity).find({ where: { captureId: id } });
    const finding = run.findings.find((f) => f.detector === 'plaintext-credentials')!;
    expect(
      creds.map((c) => [
        c.findingId,
        c.protocol,
        c.user,
        c.clientIp,
        c.serverIp,
        c.serverPort,
        c.outcome,
        c.attempts,
        c.severity,
      ]),
    ).toEqual([[finding.id, 'ftp', 'alice', '10.231.0.10', '10.231.0.20', 21, 'succeeded', 1, 'high']]);
    expect(creds[0].maskedSecret).toBe(finding.evidence.secret);
    expect(creds[0].maskedSecret).not.toContain('Tr0ub4dor');
    // The whole database, every table and column as text: the password (README: Tr0ub4dor&3) is nowhere.
    const tables = (await db.dataSource.query(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'`,
    )) as Array<{ t: string }>;
    expect(tables.length).toBeGreaterThanOrEqual(SUMMARY_TABLES.length + 4);
    let userSeen = 0;
    for (const { t } of tables) {
      const rows = (await db.dataSource.query(`SELECT row_to_json(x)::text AS j FROM "${t}" x`)) as Array<{
        j: string;
      }>;
      for (const { j } of rows) {
        expect(j).not.toContain('Tr0ub4dor');
        expect(j).not.toContain('r0ub4dor&3');
        if (j.includes('alice')) userSeen++;
      }
    }
    expect(userSeen).toBeGreaterThanOrEqual(2); // the dump does read the rows: finding + credential
  });

  it('keeps packet text that holds NUL (PostgreSQL text cannot): U+FFFD in its place', async () => {
    const id = randomUUID();
    await storeRun(db.dataSource.manager, id, 'nul', {
      chunks: [],
      findings: [],
      stats: { packets: 0, bytes: 0, firstTime: null, lastTime: null, linkTypes: [], findingsDropped: 0 },
    });
    const delta: SummaryDelta = {
      flows: [],
      hosts: [],
      buckets: [],
      tls: [
        {
          serverIp: '10.0.0.1',
          serverPort: 443,
          sni: 'a\0b',
          sha256: 'f'.repeat(64),
          subject: "CN=x\0'; DROP TABLE flows; --",
          issuer: null,
          validFrom: null,
          validTo: null,
          selfSigned: null,
          version: null,
          firstFrame: 1,
          lastFrame: 1,
          firstSeen: 1,
          lastSeen: 1,
          count: 1,
        },
      ],
    };
    await writeSummary(db.dataSource.manager, id, delta, []);
    const rows = await db.dataSource.getRepository(TlsServerEntity).find({ where: { captureId: id } });
    expect(rows.map((r) => [r.sni, r.subject])).toEqual([['a\uFFFDb', "CN=x\uFFFD'; DROP TABLE flows; --"]]);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM flows`)).toBeDefined();
  });
});
