import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { ingestCapture } from '../src/captures/capture-ingest';
import { insertCapture } from '../src/captures/capture-records';
import { readCapture } from '../src/engine/capture/read-capture';
import { ngEpb, ngIdb, ngShb } from '../src/engine/capture/synthetic-captures';
import { analyzeCapture } from '../src/engine/analyze-capture';
import { resolveConfig } from '../src/engine/config';
import { severityRank, type Finding } from '../src/engine/finding';
import { upsertFindings } from '../src/findings/finding-writer';
import { startTestApi, type TestApi } from './support/api-app';
import { capturesIn, fixtureCaptures, hasTool, SHARED_PCAPS } from './support/paths';
import { seedCapture } from './support/seed-capture';

const execFileAsync = promisify(execFile);

/**
 * GET /alerts, /alerts/:id and /alerts/:id/pcap over real HTTP on a real database, with captures
 * stored as the service stores them (chunk files + the engine's findings and sort keys, chunk by
 * chunk), compared with what `analyze` makes of the same files.
 */
interface Seeded {
  id: string;
  file: string;
  chunks: number;
  expected: Finding[];
}

interface Packet {
  linkType: number;
  tsSec: number;
  tsNsec: number;
  origLen: number;
  data: string;
}

const CAPTURES = [...capturesIn(join(SHARED_PCAPS, 'attacks')), ...fixtureCaptures()];

async function packetsOf(input: string | Buffer, frames?: ReadonlySet<number>): Promise<Packet[]> {
  const out: Packet[] = [];
  await readCapture(typeof input === 'string' ? input : Readable.from([input]), {
    onPacket: (r) => {
      if (frames && !frames.has(r.frame)) return;
      out.push({
        linkType: r.linkType,
        tsSec: r.tsSec,
        tsNsec: r.tsNsec,
        origLen: r.origLen,
        data: r.buf.toString('hex', r.offset, r.offset + r.capLen),
      });
    },
  });
  return out;
}

describe('alerts API', () => {
  let api: TestApi;
  const seeded: Seeded[] = [];

  const get = (path: string, headers: Record<string, string> = api.auth) => fetch(`${api.url}${path}`, { headers });
  const json = async <T>(path: string): Promise<T> => {
    const res = await get(path);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  /** Every page of a query, with limit 500. */
  const all = async (query: string): Promise<Finding[]> => {
    const items: Finding[] = [];
    for (let page = 1; ; page++) {
      const r = await json<{ items: Finding[]; total: number }>(`/alerts?${query}&limit=500&page=${page}`);
      items.push(...r.items);
      if (r.items.length < 500) {
        expect(items.length).toBe(r.total);
        return items;
      }
    }
  };
  const biggest = (): Seeded => [...seeded].sort((a, b) => b.expected.length - a.expected.length)[0];

  beforeAll(async () => {
    api = await startTestApi();
    for (const file of CAPTURES) {
      const s = await seedCapture(api.db.dataSource, api.dataDir, file, { chunkMaxPackets: 50 });
      const a = await analyzeCapture(file, basename(file), { config: resolveConfig(), captureId: s.id });
      seeded.push({ ...s, expected: a.findings });
    }
  }, 300_000);
  afterAll(async () => {
    await api?.close();
  });

  it('has real material: several captures, multi-chunk, with findings', () => {
    expect(CAPTURES.length).toBeGreaterThanOrEqual(12);
    expect(seeded.filter((s) => s.expected.length > 0).length).toBeGreaterThanOrEqual(8);
    expect(seeded.filter((s) => s.chunks > 1).length).toBeGreaterThanOrEqual(4);
    expect(biggest().expected.length).toBeGreaterThanOrEqual(10); // several pages of 7
  });

  it("returns each capture's findings exactly as analyze --json prints them (default sort)", async () => {
    for (const s of seeded) {
      expect({ file: s.file, items: await all(`capture=${s.id}`) }).toEqual({ file: s.file, items: s.expected });
    }
  });

  it('filters by severity, minSeverity, detector, type, host and time overlap to the exact subsets', async () => {
    const s = biggest();
    const cap = `capture=${s.id}`;
    const exp = s.expected;
    const some = <T>(xs: T[]): T[] => [...new Set(xs)];
    const sevs = some(exp.map((f) => f.severity));
    expect(await all(`${cap}&severity=${sevs.join(',')}`)).toEqual(exp);
    expect(await all(`${cap}&severity=${sevs[0]}`)).toEqual(exp.filter((f) => f.severity === sevs[0]));
    for (const min of ['low', 'medium', 'high', 'critical'] as const)
      expect(await all(`${cap}&minSeverity=${min}`)).toEqual(
        exp.filter((f) => severityRank(f.severity) >= severityRank(min)),
      );

    const detectors = some(exp.map((f) => f.detector));
    expect(await all(`${cap}&detector=${detectors[0]}`)).toEqual(exp.filter((f) => f.detector === detectors[0]));
    const types = some(exp.map((f) => f.type));
    expect(await all(`${cap}&type=${encodeURIComponent(types[0])}`)).toEqual(exp.filter((f) => f.type === types[0]));

    const host = exp.find((f) => f.dst?.ip)?.dst?.ip ?? exp.find((f) => f.src?.ip)!.src!.ip!;
    const byHost = exp.filter((f) => f.src?.ip === host || f.dst?.ip === host);
    expect(byHost.length).toBeGreaterThan(0);
    expect(await all(`${cap}&host=${encodeURIComponent(host)}`)).toEqual(byHost);

    // Overlap with microsecond bounds taken from the findings themselves (ISO text compares as time).
    const mid = exp[Math.floor(exp.length / 2)];
    const from = mid.firstSeen;
    const to = exp[Math.floor((exp.length * 3) / 4)].lastSeen;
    const overlap = exp.filter((f) => f.lastSeen >= from && f.firstSeen <= to);
    expect(overlap.length).toBeGreaterThan(0);
    expect(overlap.length).toBeLessThan(exp.length + 1);
    expect(await all(`${cap}&from=${from}&to=${to}`)).toEqual(overlap);
    expect(await all(`${cap}&from=${from}`)).toEqual(exp.filter((f) => f.lastSeen >= from));
    // The same bound in another zone, its + written raw (a space on arrival) and encoded.
    const shifted = (iso: string) =>
      new Date(Date.parse(iso) + 2 * 3600_000).toISOString().replace('Z', `${iso.slice(23, 26)}+02:00`);
    expect(await all(`${cap}&from=${shifted(from)}&to=${encodeURIComponent(shifted(to))}`)).toEqual(overlap);
    expect(await all(`${cap}&to=${to}`)).toEqual(exp.filter((f) => f.firstSeen <= to));

    // Combined, and across every capture (no capture filter).
    const everything = seeded.flatMap((x) => x.expected);
    const highAll = await all(`minSeverity=high&detector=${detectors.join(',')}`);
    expect(highAll.length).toBe(
      everything.filter((f) => severityRank(f.severity) >= 3 && detectors.includes(f.detector)).length,
    );
  });

  it('pages through the default order without gaps or repeats; total stays the whole count', async () => {
    const s = biggest();
    const got: Finding[] = [];
    const pages = Math.ceil(s.expected.length / 7);
    for (let page = 1; page <= pages + 1; page++) {
      const r = await json<{ items: Finding[]; page: number; limit: number; total: number }>(
        `/alerts?capture=${s.id}&limit=7&page=${page}`,
      );
      expect({ page: r.page, limit: r.limit, total: r.total }).toEqual({ page, limit: 7, total: s.expected.length });
      if (page > pages) expect(r.items).toEqual([]);
      got.push(...r.items);
    }
    expect(got).toEqual(s.expected);
    const first = await json<{ items: Finding[]; limit: number }>(`/alerts?capture=${s.id}`);
    expect(first.limit).toBe(100);
    expect(first.items).toEqual(s.expected.slice(0, 100));
  });

  it('sorts by -firstSeen (the exact reverse), lastSeen, severity and count with the default order breaking ties', async () => {
    const s = biggest();
    const exp = s.expected;
    const cap = `capture=${s.id}`;
    const by = (key: (f: Finding) => number | string, desc: boolean) =>
      [...exp].sort((a, b) => {
        const x = key(a);
        const y = key(b);
        const c = x < y ? -1 : x > y ? 1 : 0;
        return desc ? -c : c;
      });
    expect(await all(`${cap}&sort=-firstSeen`)).toEqual([...exp].reverse());
    expect(await all(`${cap}&sort=firstSeen`)).toEqual(exp);
    expect(await all(`${cap}&sort=lastSeen`)).toEqual(by((f) => f.lastSeen, false));
    expect(await all(`${cap}&sort=-lastSeen`)).toEqual(by((f) => f.lastSeen, true));
    expect(await all(`${cap}&sort=severity`)).toEqual(by((f) => severityRank(f.severity), false));
    expect(await all(`${cap}&sort=-severity`)).toEqual(by((f) => severityRank(f.severity), true));
    expect(await all(`${cap}&sort=count`)).toEqual(by((f) => f.count, false));
    expect(await all(`${cap}&sort=-count`)).toEqual(by((f) => f.count, true));
    expect(new Set(exp.map((f) => f.severity)).size).toBeGreaterThan(1); // the severity sort is not trivial
  });

  it('refuses bad values with 400 and a reason; an unknown capture is 200 with no items', async () => {
    const cases: Array<[string, string]> = [
      ['severity=urgent', 'severity: unknown severity "urgent"'],
      ['severity=high,,bogus', 'severity: unknown severity "bogus"'],
      ['minSeverity=HIGH', 'minSeverity: unknown severity "HIGH"'],
      ['from=yesterday', 'from: not an ISO-8601 time'],
      ['to=2024-01-01T10:00:00', 'to: not an ISO-8601 time'],
      ['from=2024-02-31T00:00:00Z&to=2024-01-01', 'from: not an ISO-8601 time'],
      ['to=2024-01-01T24:00:00Z', 'to: not an ISO-8601 time'],
      ['from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z', 'from: later than to'],
      ['limit=0', 'limit: must be an integer from 1 to 500'],
      ['limit=501', 'limit: must be an integer from 1 to 500'],
      ['limit=1e2', 'limit: must be an integer from 1 to 500'],
      ['page=0', 'page: must be an integer from 1 to 1000000'],
      ['capture=not-a-uuid', 'capture: not a UUID'],
      ["capture=' OR 1=1 --", 'capture: not a UUID'],
      ['detector=nope', 'detector: unknown detector "nope"'],
      ['host=999.1.1.1', 'host: not an IPv4 or IPv6 address'],
      ['sort=title', 'sort: one of firstSeen, -firstSeen'],
      ['severty=high', 'unknown query parameter "severty"'],
      ['page[a]=1', 'unknown query parameter "page[a]"'],
    ];
    for (const [query, reason] of cases) {
      const res = await get(`/alerts?${query}`);
      const body = (await res.json()) as { message: string };
      expect({ query, status: res.status, ok: body.message.startsWith(reason) ? true : body.message }).toEqual({
        query,
        status: 400,
        ok: true,
      });
    }
    expect(await json(`/alerts?capture=${randomUUID()}`)).toEqual({ items: [], page: 1, limit: 100, total: 0 });
    // Attacker-shaped text is a bound value, never SQL.
    expect(await json(`/alerts?type=${encodeURIComponent("x' OR '1'='1")}`)).toEqual({
      items: [],
      page: 1,
      limit: 100,
      total: 0,
    });
  });

  it('GET /alerts/:id answers the finding with its capture id; bad ids 400, unknown 404', async () => {
    for (const s of seeded.filter((x) => x.expected.length > 0).slice(0, 4)) {
      const f = s.expected[s.expected.length - 1];
      expect(await json(`/alerts/${f.id}`)).toEqual({ ...f, captureId: s.id });
    }
    for (const bad of ['xyz', 'A'.repeat(32), '0'.repeat(31), `${'0'.repeat(32)}0`, '..%2F..%2Fetc'])
      expect({ bad, status: (await get(`/alerts/${bad}`)).status }).toEqual({ bad, status: 400 });
    expect((await get(`/alerts/${'0'.repeat(32)}`)).status).toBe(404);
    expect((await get(`/alerts/${'0'.repeat(32)}/pcap`)).status).toBe(404);
    expect((await get('/alerts/xyz/pcap')).status).toBe(400);
  });

  it('needs the key on every alerts route', async () => {
    const f = biggest().expected[0];
    for (const path of ['/alerts', `/alerts/${f.id}`, `/alerts/${f.id}/pcap`]) {
      expect({ path, status: (await get(path, {})).status }).toEqual({ path, status: 401 });
      expect({ path, status: (await get(path, { 'X-API-Key': 'wrong-key-0123456789' })).status }).toEqual({
        path,
        status: 401,
      });
    }
  });

  it("exports every finding's evidence frames as a pcap holding exactly those packets", async () => {
    let checked = 0;
    let crossing = 0;
    for (const s of seeded) {
      for (const f of s.expected) {
        const res = await get(`/alerts/${f.id}/pcap`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/vnd.tcpdump.pcap');
        expect(res.headers.get('content-disposition')).toBe(`attachment; filename="finding-${f.id}.pcap"`);
        const body = Buffer.from(await res.arrayBuffer());
        expect(Number(res.headers.get('content-length'))).toBe(body.length);
        const frames = new Set(f.evidence.frames);
        expect({ id: f.id, packets: await packetsOf(body) }).toEqual({
          id: f.id,
          packets: await packetsOf(s.file, frames),
        });
        if (Math.floor((Math.min(...frames) - 1) / 50) !== Math.floor((Math.max(...frames) - 1) / 50)) crossing++;
        checked++;
      }
    }
    expect(checked).toBe(seeded.reduce((n, s) => n + s.expected.length, 0));
    expect(crossing).toBeGreaterThan(0); // some evidence spans several chunk files
  }, 120_000);

  (hasTool('tshark') ? it : it.skip)(
    'tshark opens the export and sees the same frames as in the original',
    async () => {
      const picks = seeded
        .filter((s) => s.expected.length > 0)
        .slice(0, 5)
        .map((s) => ({ s, f: [...s.expected].sort((a, b) => b.evidence.frames.length - a.evidence.frames.length)[0] }));
      for (const { s, f } of picks) {
        const out = join(api.dataDir, `finding-${f.id}.pcap`);
        await writeFile(out, Buffer.from(await (await get(`/alerts/${f.id}/pcap`)).arrayBuffer()));
        const fields = [
          '-T',
          'fields',
          '-e',
          'frame.time_epoch',
          '-e',
          'frame.len',
          '-e',
          'frame.cap_len',
          '-e',
          'frame.protocols',
        ];
        // Asynchronously: the API runs in this process, and a synchronous tshark (seconds on a busy
        // machine) froze its event loop past the keep-alive timeout, so fetch's reused socket was
        // closed under the next request (ECONNRESET, issue 14).
        const tshark = async (args: string[]) =>
          (await execFileAsync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 })).stdout;
        const exported = await tshark(['-r', out, ...fields]);
        const filter = `frame.number in {${[...new Set(f.evidence.frames)].join(',')}}`;
        const original = await tshark(['-r', s.file, '-Y', filter, ...fields]);
        expect(exported.trim().split('\n').length).toBe(new Set(f.evidence.frames).size);
        expect({ file: s.file, packets: exported }).toEqual({ file: s.file, packets: original });
        // And the bytes, as tshark dumps them (frame numbers differ, so compare the hex only).
        const hex = (dump: string) =>
          dump
            .split('\n')
            .map((l) => l.slice(0, 54))
            .join('\n');
        expect(hex(await tshark(['-r', out, '-x']))).toEqual(hex(await tshark(['-r', s.file, '-Y', filter, '-x'])));
      }
    },
    120_000,
  );

  describe('pcapng evidence', () => {
    // Two interfaces: Ethernet (1) and raw IP (101), nanosecond timestamps.
    const eth = Buffer.from(
      'ffffffffffff0200000000010806' + '0001080006040001' + '020000000001c0a80001000000000000c0a80002',
      'hex',
    );
    const raw = Buffer.from('450000140001000040ff0000c0a80001c0a80002', 'hex');
    let captureId: string;

    const finding = (frames: number[], key: string): Finding => ({
      id: key.repeat(32),
      detector: 'packet-anomaly',
      type: 'test',
      severity: 'low',
      title: 't',
      description: 'd',
      firstSeen: '2024-01-01T00:00:00.000000Z',
      lastSeen: '2024-01-01T00:00:00.000000Z',
      count: 1,
      evidence: { frames, framesTotal: frames.length },
    });

    beforeAll(async () => {
      const le = true;
      const file = Buffer.concat([
        ngShb(le),
        ngIdb(le, 1, { tsresol: 9 }),
        ngIdb(le, 101, { tsresol: 9 }),
        ngEpb(le, 0, 1_704_067_200_123_456_789n, eth),
        ngEpb(le, 1, 1_704_067_201_000_000_001n, raw),
      ]);
      captureId = randomUUID();
      const ingest = await ingestCapture(Readable.from([file]), {
        dir: join(api.dataDir, 'captures', captureId),
        source: 'two-links.pcapng',
        maxBytes: 1 << 20,
        chunkMaxBytes: 1 << 20,
        chunkMaxPackets: 1,
      });
      expect(ingest.chunks.map((c) => c.file)).toEqual(['000000.pcapng', '000001.pcapng']);
      await insertCapture(api.db.dataSource.manager, {
        id: captureId,
        name: 'two-links.pcapng',
        source: 'cli',
        ingest,
      });
      await upsertFindings(api.db.dataSource.manager, captureId, [
        { sortKey: 'packet-anomaly\0a', finding: finding([1], 'a') },
        { sortKey: 'packet-anomaly\0b', finding: finding([2, 1], 'b') },
      ]);
    });

    it("keeps nanoseconds (nanosecond pcap) and the interface's link type", async () => {
      const res = await get(`/alerts/${'a'.repeat(32)}/pcap`);
      expect(res.status).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.readUInt32LE(0)).toBe(0xa1b23c4d);
      expect(await packetsOf(body)).toEqual([
        { linkType: 1, tsSec: 1_704_067_200, tsNsec: 123_456_789, origLen: eth.length, data: eth.toString('hex') },
      ]);
    });

    it('refuses evidence spanning two link types with 409 and says why', async () => {
      const res = await get(`/alerts/${'b'.repeat(32)}/pcap`);
      expect(res.status).toBe(409);
      expect(((await res.json()) as { message: string }).message).toBe(
        'the evidence frames have link types 1, 101; a classic pcap holds one',
      );
    });

    it('answers 404 when the chunk files are gone', async () => {
      await rm(join(api.dataDir, 'captures', captureId), { recursive: true });
      const res = await get(`/alerts/${'a'.repeat(32)}/pcap`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toBe(
        `evidence of finding ${'a'.repeat(32)} is not available: the capture's chunk file is no longer on disk`,
      );
    });
  });
});
