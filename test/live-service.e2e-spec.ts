import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { readCapture } from '../src/engine/capture/read-capture';
import type { Finding } from '../src/engine/finding';
import { LiveLab } from './support/live-lab';
import { SHARED_PCAPS, hasTool } from './support/paths';
import { ServiceStack } from './support/service-stack';
import { waitFor } from './support/wait-for';
import { budgetMs } from './support/time-budget';

/**
 * Live capture through the service (issue 7), on real interfaces: the API and two workers as
 * processes, a lab of network namespaces (test/support/live-lab.ts) whose segments each end in a
 * root-namespace veth the API captures on, real attack traffic (nmap) and recorded attacks
 * replayed with tcpreplay. Needs root, ip, nmap and tcpreplay (CI installs them); skipped without.
 */
const ATTACKS = join(SHARED_PCAPS, 'attacks');
const FLOOD = join(SHARED_PCAPS, 'public', 'dhcp-request-flood__test.pcap');
const canRun =
  process.getuid?.() === 0 && ['ip', 'nmap', 'tcpreplay'].every(hasTool) && existsSync(ATTACKS) && existsSync(FLOOD);

/** MTU of the replay segment: the recorded TLS capture has 5159-byte frames (a loopback/offload capture). */
const REPLAY_MTU = 9000;
/** Small chunks, so findings come within a second or two of the traffic. */
const CHUNK_MS = 500;

interface SessionView {
  id: string;
  captureId: string;
  interface: string;
  status: string;
  reason: string | null;
  resumes: number;
  packets: number;
  bytes: number;
  pcap: { received: number; dropped: number; ifDropped: number };
  chunks: { cut: number; analysed: number; queued: number };
  capture: { status: string; chunksDone: number; chunksTotal: number | null; packets: number } | null;
}

interface CaptureView {
  id: string;
  status: string;
  errors: Array<{ offset: number; message: string }>;
  progress: { chunksDone: number; chunksTotal: number | null; packets: number };
}

interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Frames and the largest frame of a capture file, read with the engine's own reader. */
async function fileFrames(file: string): Promise<{ packets: number; maxLen: number }> {
  let maxLen = 0;
  const r = await readCapture(file, { onPacket: (rec) => (maxLen = Math.max(maxLen, rec.capLen)) });
  return { packets: r.packets, maxLen };
}

(canRun ? describe : describe.skip)('live capture through the service (POST /live on lab interfaces)', () => {
  let lab: LiveLab;
  let stack: ServiceStack;
  let pg: Client;
  /** Segment 0: attacker, server, victim (real traffic); segment 1: replayer (tcpreplay), larger MTU. */
  let mon0: string;
  let mon1: string;

  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    o: { body?: unknown; raw?: string; key?: string } = {},
  ): Promise<Reply<T>> {
    const r = await fetch(`${stack.api.url}${path}`, {
      method,
      headers: { 'x-api-key': o.key ?? stack.headers['x-api-key'], 'content-type': 'application/json' },
      body: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)),
    });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON (a pcap)
    }
    return { status: r.status, body: body as T };
  }

  async function startSession(iface: string, extra: Record<string, unknown> = {}): Promise<SessionView> {
    const r = await call<SessionView>('POST', '/live', { body: { interface: iface, chunkMs: CHUNK_MS, ...extra } });
    if (r.status !== 201) throw new Error(`POST /live answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async function session(id: string): Promise<SessionView> {
    const r = await call<SessionView>('GET', `/live/${id}`);
    if (r.status !== 200) throw new Error(`GET /live/${id} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** Stops a session, waits until its capture is analysed to the end; the session as then shown. */
  async function stopAndFinish(id: string): Promise<{ stopped: SessionView; done: SessionView; capture: CaptureView }> {
    const r = await call<SessionView>('POST', `/live/${id}/stop`);
    expect([r.status, r.body.status]).toEqual([200, 'stopped']); // the answer is the saved outcome
    const capture = await stack.waitDone<CaptureView>(r.body.captureId);
    const done = await session(id);
    // Every packet libpcap accepted is in a chunk or counted as dropped — none vanish at the stop.
    expect(done.pcap.received).toBe(done.packets + done.pcap.dropped);
    return { stopped: r.body, done, capture };
  }

  /** The session's counters once they account for `packets` (they are reported about every second). */
  function untilPackets(id: string, packets: number, timeoutMs = 15_000): Promise<SessionView> {
    return waitFor(
      `session ${id} to count ${packets} packets`,
      async () => {
        const s = await session(id);
        return s.packets + s.pcap.dropped >= packets ? s : undefined;
      },
      timeoutMs,
      200,
    );
  }

  function nmapSyn(target: string, ports: string) {
    const r = lab.exec('attacker', ['nmap', '-sS', '-n', '-Pn', '-T4', '-p', ports, target]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Nmap scan report for ${target}`);
    return r;
  }

  /** The one interruption note resume() appends to the capture's errors, as times (ms). */
  async function interruption(captureId: string): Promise<{ from: number; to: number }> {
    const cap = (await call<CaptureView>('GET', `/captures/${captureId}`)).body;
    expect(cap.errors).toHaveLength(1);
    const m = new RegExp(
      `^live capture on ${mon0} was interrupted from (\\S+) to (\\S+) \\(API restart\\): packets in between were not captured$`,
    ).exec(cap.errors[0].message);
    expect(cap.errors[0].offset).toBe(-1);
    if (!m) throw new Error(`not an interruption note: ${cap.errors[0].message}`);
    return { from: Date.parse(m[1]), to: Date.parse(m[2]) };
  }

  function portScans(findings: Finding[]): Finding[] {
    return findings.filter((f) => f.detector === 'port-scan');
  }

  beforeAll(async () => {
    lab = LiveLab.create([{ hosts: ['attacker', 'server', 'victim'] }, { hosts: ['replayer'], mtu: REPLAY_MTU }]);
    // Even if jest is torn down without afterAll, the namespaces go.
    process.once('exit', () => lab.destroy());
    [mon0, mon1] = lab.monitors;
    stack = await ServiceStack.start({
      name: 'live',
      workers: 2,
      // A quicker orphan sweep (it also runs retention of ended sessions); heartbeats come every second.
      env: { LIVE_ORPHAN_MS: '4000' },
      // The usual umask, which leaves files made without an explicit mode readable by everyone.
      umask: '022',
    });
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
  }, 60_000);

  // A failed test must not leave its session holding the interface for the next one.
  afterEach(async () => {
    const busy = async () =>
      ((await call<{ sessions: SessionView[] }>('GET', '/live').catch(() => null))?.body.sessions ?? []).filter(
        (v) => v.status === 'running' || v.status === 'stopping',
      );
    for (const v of await busy()) await call('POST', `/live/${v.id}/stop`);
    // One being resumed at that moment answers 'stopping' and stops at its first report.
    await waitFor('no session left running', async () => ((await busy()).length === 0 ? true : undefined), 20_000, 250);
  }, 30_000);

  afterAll(async () => {
    await pg?.end().catch(() => undefined);
    await stack?.stop();
    lab?.destroy();
  });

  it('captures an nmap scan: findings while the session runs, then stop → capture analysed to the end', async () => {
    const ifs = await call<{ interfaces: Array<{ name: string; addresses: string[]; loopback: boolean }> }>(
      'GET',
      '/live/interfaces',
    );
    expect(ifs.status).toBe(200);
    expect(ifs.body.interfaces.find((i) => i.name === mon0)).toEqual({
      name: mon0,
      description: null,
      addresses: [],
      loopback: false,
    });

    const started = await call<SessionView>('POST', '/live', { body: { interface: mon0, chunkMs: CHUNK_MS } });
    expect(started.status).toBe(201);
    const s = started.body;
    expect(s).toMatchObject({ interface: mon0, status: 'running', resumes: 0, packets: 0, bytes: 0 });
    expect(s.pcap).toEqual({ received: 0, dropped: 0, ifDropped: 0 });

    // Counters grow with traffic (numbers, not PostgreSQL's bigint strings).
    expect(lab.exec('attacker', ['ping', '-c', '3', '-i', '0.2', lab.ip('server')]).status).toBe(0);
    const afterPing = await untilPackets(s.id, 6); // 3 echo requests + 3 replies, ARP besides
    expect(typeof afterPing.packets).toBe('number');
    expect(afterPing.pcap.received).toBe(afterPing.packets);

    nmapSyn(lab.ip('server'), '1-1000');
    const t0 = Date.now();
    const whileRunning = await waitFor(
      'a port-scan finding while the session runs',
      async () => {
        const found = portScans(await stack.alerts(s.captureId));
        return found.length > 0 ? found : undefined;
      },
      15_000,
      200,
    );
    const seenAfterMs = Date.now() - t0;
    const during = await session(s.id);
    expect(during.status).toBe('running');
    expect(during.packets).toBeGreaterThan(afterPing.packets + 2000); // 1000 SYNs + 1000 RSTs
    expect(whileRunning).toHaveLength(1);
    expect(whileRunning[0]).toMatchObject({ src: { ip: lab.ip('attacker') }, dst: { ip: lab.ip('server') } });
    expect(seenAfterMs).toBeLessThan(10_000);

    const { stopped, done, capture } = await stopAndFinish(s.id);
    expect(stopped.status).toBe('stopped');
    expect(capture.status).toBe('done');
    expect(done.status).toBe('stopped');
    expect(done.reason).toBe('stopped on request');
    expect(done.capture).toEqual({
      status: 'done',
      chunksDone: done.chunks.cut,
      chunksTotal: done.chunks.cut,
      packets: done.packets, // the workers read exactly the packets libpcap handed over
    });
    expect(done.chunks).toEqual({ cut: done.chunks.cut, analysed: done.chunks.cut, queued: 0 });
    expect(done.pcap).toEqual({ received: done.packets, dropped: 0, ifDropped: 0 });
    expect(done.packets).toBeGreaterThan(2000);

    const findings = await stack.alerts(s.captureId);
    expect(findings.map((f) => f.detector)).toEqual(['port-scan']);
    expect(findings[0]).toMatchObject({
      type: 'port-scan',
      src: { ip: lab.ip('attacker') },
      dst: { ip: lab.ip('server') },
      evidence: { technique: 'SYN', ports: { count: 1000 }, targets: { count: 1, sample: [lab.ip('server')] } },
    });

    // Its evidence pcap, read back from the live chunk files: exactly the finding's frames.
    const r = await fetch(`${stack.api.url}/alerts/${findings[0].id}/pcap`, { headers: stack.headers });
    expect(r.status).toBe(200);
    const buf = Buffer.from(await r.arrayBuffer());
    expect(buf.readUInt32LE(0)).toBe(0xa1b2c3d4);
    let records = 0;
    for (let off = 24; off < buf.length; records++) off += 16 + buf.readUInt32LE(off + 8);
    expect(records).toBe(findings[0].evidence.frames.length);

    // Raw packets at rest: the capture process's chunk files 0600 in 0700 directories (umask 022).
    const dir = join(stack.dataDir, 'captures', s.captureId);
    const modes = [dir, join(stack.dataDir, 'captures'), ...readdirSync(dir).map((f) => join(dir, f))].map(
      (p) => `${p.slice(stack.dataDir.length)} ${(statSync(p).mode & 0o777).toString(8)}`,
    );
    expect(modes.length).toBe(2 + done.chunks.cut);
    expect(modes.filter((m) => !/(\.pcap 600|\/captures(\/[^/ ]+)? 700)$/.test(m))).toEqual([]);
  }, 60_000);

  it('refuses bad requests with clear 4xx answers and leaves nothing behind', async () => {
    const before = await call<{ total: number }>('GET', '/captures');
    const sessionsBefore = (await call<{ sessions: SessionView[] }>('GET', '/live')).body.sessions.length;

    const nope = await call('POST', '/live', { body: { interface: `${lab.prefix}zz` } });
    expect(nope.status).toBe(400);
    expect(nope.body).toMatchObject({ error: 'no-such-interface' });
    expect(String(nope.body.message)).toContain(`no such interface "${lab.prefix}zz"`);

    const badFilter = await call('POST', '/live', { body: { interface: mon0, filter: 'tcp port' } });
    expect(badFilter.status).toBe(400);
    expect(badFilter.body).toMatchObject({ error: 'bad-filter' });
    // libpcap's own words (pcap_compile: "syntax error"), not a paraphrase.
    expect(String(badFilter.body.message)).toMatch(/^invalid capture filter: .*syntax error/);

    const s = await startSession(mon0, { filter: 'tcp' });
    const twice = await call('POST', '/live', { body: { interface: mon0 } });
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ error: 'busy' });
    expect(String(twice.body.message)).toContain(s.id);

    const key = await call<{ key: string }>('POST', '/auth/keys', { body: { name: 'live-reader', role: 'read' } });
    expect(key.status).toBe(201);
    const reader = key.body.key;
    expect((await call('POST', '/live', { body: { interface: mon1 }, key: reader })).status).toBe(403);
    expect((await call('POST', `/live/${s.id}/stop`, { key: reader })).status).toBe(403);
    // Reading is allowed, and the refused stop changed nothing.
    const read = await call<SessionView>('GET', `/live/${s.id}`, { key: reader });
    expect([read.status, read.body.status]).toEqual([200, 'running']);
    expect((await call('GET', '/live', { key: 'not-a-key' })).status).toBe(401);

    const malformed: Array<[string, { body?: unknown; raw?: string }, RegExp]> = [
      ['an array', { body: [mon0] }, /must be a JSON object/],
      ['a JSON string', { raw: JSON.stringify(mon0) }, /./],
      ['not JSON', { raw: '{"interface": ' }, /./],
      ['no interface', { body: { filter: 'tcp' } }, /^interface: required/],
      ['an unknown field', { body: { interface: mon1, buffer: 1 } }, /^unknown field "buffer"/],
      [
        'snaplen too small',
        { body: { interface: mon1, snaplen: 10 } },
        /^snaplen: must be an integer from 64 to 262144/,
      ],
      ['snaplen too large', { body: { interface: mon1, snaplen: 262_145 } }, /^snaplen: must be an integer/],
      ['snaplen not an integer', { body: { interface: mon1, snaplen: '1500' } }, /^snaplen: must be an integer/],
      ['chunkMs too small', { body: { interface: mon1, chunkMs: 10 } }, /^chunkMs: must be an integer from 100/],
      ['an unknown detector', { body: { interface: mon1, detectors: ['nope'] } }, /^detectors: /],
      ['a shell in the name', { body: { interface: `${mon1};reboot` } }, /^interface: /],
    ];
    for (const [what, req, message] of malformed) {
      const r = await call('POST', '/live', req);
      expect([what, r.status]).toEqual([what, 400]);
      expect([what, String(r.body.message)]).toEqual([what, expect.stringMatching(message)]);
    }

    const unknown = '3f1e7f5e-2c1a-4c3b-9d4e-5a6b7c8d9e0f';
    expect((await call('GET', `/live/${unknown}`)).status).toBe(404);
    expect((await call('POST', `/live/${unknown}/stop`)).status).toBe(404);
    for (const bad of ['nope', '1', `${unknown}x`]) {
      expect((await call('GET', `/live/${bad}`)).status).toBe(400);
      expect((await call('POST', `/live/${bad}/stop`)).status).toBe(400);
    }

    // Two stops at once (a double click): both answer the stopped session, the API lives on.
    const stops = await Promise.all([1, 2].map(() => call<SessionView>('POST', `/live/${s.id}/stop`)));
    expect(stops.map((r) => [r.status, r.body.status])).toEqual([
      [200, 'stopped'],
      [200, 'stopped'],
    ]);
    expect((await stack.waitDone<CaptureView>(s.captureId)).status).toBe('done');
    expect((await call('GET', '/health')).status).toBe(200);
    // Refused starts made no capture and no session: only the one session above is new.
    expect((await call<{ total: number }>('GET', '/captures')).body.total).toBe(before.body.total + 1);
    expect((await call<{ sessions: SessionView[] }>('GET', '/live')).body.sessions).toHaveLength(sessionsBefore + 1);
  }, 60_000);

  it('runs sessions on two interfaces at once, each with its own findings', async () => {
    const file = join(ATTACKS, 'scan-syn.pcap');
    const { packets: filePackets } = await fileFrames(file);
    const a = await startSession(mon0);
    const b = await startSession(mon1);
    const replay = lab.replay('replayer', file);
    const scan = lab.execAsync('attacker', ['nmap', '-sS', '-n', '-Pn', '-T4', '-p', '1-300', lab.ip('victim')]);
    const [sent, nmap] = await Promise.all([replay, scan]);
    expect(nmap.code).toBe(0);
    expect(sent).toBe(filePackets);
    await untilPackets(b.id, sent);
    const [ra, rb] = [await stopAndFinish(a.id), await stopAndFinish(b.id)];

    // The replay segment saw the file and nothing else; the lab segment never saw the file.
    expect(rb.done.packets).toBe(filePackets);
    expect(rb.done.pcap.dropped).toBe(0);
    const fa = await stack.alerts(a.captureId);
    const fb = await stack.alerts(b.captureId);
    expect(fa.map((f) => [f.detector, f.src?.ip, f.dst?.ip])).toEqual([
      ['port-scan', lab.ip('attacker'), lab.ip('victim')],
    ]);
    expect(portScans(fb)).toHaveLength(1);
    const labNet = `10.${lab.net}.`;
    expect(fb.every((f) => !f.src?.ip?.startsWith(labNet) && !f.dst?.ip?.startsWith(labNet))).toBe(true);
    expect(ra.done.packets).toBeGreaterThan(600);
  }, 60_000);

  describe('live == offline: a replayed capture gives the findings its upload gives', () => {
    /**
     * What must differ between a capture replayed onto the wire and the same file uploaded, found
     * by comparing the two (everything else is compared as is):
     * - id: sha256(capture id, detector, key) — two captures, two ids (and port-scan's key holds
     *   its window's start time, below);
     * - firstSeen, lastSeen: packet times — libpcap's capture time versus the file's timestamps;
     * - port-scan evidence.windowStart: the packet time its window began;
     * - syn-flood: its peak is measured per second of packet time, and tcpreplay's timing is not
     *   the recording's (observed: peak 2099/s live, 2413/s in the file): the peak rate and its
     *   incomplete count (evidence, title, description), how many seconds were "hot" (depends on
     *   where the second boundaries fall; observed 4 and 5 for the same file), start/end, and the
     *   evidence frames picked at each hot second with their number (framesTotal) — the sources
     *   and every count stay compared.
     *   Where the episode starts also depends on the second boundaries (a second counts once it is
     *   "hot"), so the SYNs counted in it (count, syn, title), its start frame and the half-open
     *   entries that timed out by packet time can differ by the SYNs of a boundary second (seen
     *   once in three runs of the suite), and so do the per-source SYNs and client RSTs counted in
     *   the episode (5977 of 6000 once on a busy machine): they are compared apart, within 5 %.
     * Frame numbers themselves are equal: the live session numbers exactly the file's packets.
     * tcpreplay guarantees the packets, not their timing; so the live findings are also compared,
     * exactly but for the ids, with an upload of what the session itself stored (GET
     * /captures/:id/pcap): the same packets at the same times must give the same findings.
     */
    function comparable(f: Finding): unknown {
      const { id: _id, firstSeen: _first, lastSeen: _last, ...rest } = f;
      const evidence: Record<string, unknown> = { ...f.evidence };
      let { title, description } = f;
      if (f.detector === 'port-scan') delete evidence.windowStart;
      if (f.detector === 'syn-flood') {
        for (const k of ['peakRate', 'peakIncomplete', 'hotSeconds', 'start', 'end', 'framesTotal']) delete evidence[k];
        for (const k of ['syn', 'startFrame', 'timedOut', 'ratios', 'synAck', 'completed', 'clientRst'])
          delete evidence[k];
        const sources = f.evidence.sources as { top: Array<{ ip: string; syns: number }> } | undefined;
        if (sources) evidence.sources = { ...sources, top: sources.top.map((t) => ({ ...t, syns: 'N' })) };
        // Picked at hot seconds, so the last one moves with the boundaries too (17996 for 17999 once).
        evidence.frames = 'per second';
        rest.count = 0;
        const timing = (s: string) =>
          s
            .replace(/peak \d+\/s/g, 'peak N/s')
            .replace(/: \d+ SYNs, /g, ': N SYNs, ')
            .replace(/received \d+ SYNs/g, 'received N SYNs')
            .replace(
              /\d+ were answered with SYN-ACK and only \d+ handshakes/g,
              'N were answered with SYN-ACK and only N handshakes',
            )
            .replace(/\d+ hot seconds \(peak \d+ SYNs\/s, \d+ of them/g, 'N hot seconds (peak N SYNs/s, N of them')
            .replace(/(\(busiest: \S+) \d+\)/g, '$1 N)');
        title = timing(title);
        description = timing(description);
      }
      return { ...rest, title, description, evidence };
    }

    const sorted = (fs: Finding[]) =>
      fs.map(comparable).sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));

    it.each(['scan-syn', 'syn-flood', 'arp-spoof-a', 'ftp-login', 'tls-cert-change-a', 'http-basic-and-form'])(
      '%s',
      async (name) => {
        const file = join(ATTACKS, `${name}.pcap`);
        const { packets, maxLen } = await fileFrames(file);
        // tcpreplay cannot send a frame larger than the segment's MTU (+ Ethernet header).
        expect(maxLen).toBeLessThanOrEqual(REPLAY_MTU + 14);
        const s = await startSession(mon1);
        const sent = await lab.replay('replayer', file);
        expect(sent).toBe(packets);
        await untilPackets(s.id, sent);
        const live = await stopAndFinish(s.id);
        expect(live.done.packets).toBe(packets);
        expect(live.done.pcap).toEqual({ received: packets, dropped: 0, ifDropped: 0 });
        expect(live.capture.progress.packets).toBe(packets);

        const up = await stack.upload(file);
        expect(up.status).toBe(202);
        expect((await stack.waitDone<CaptureView>(up.body.id!)).status).toBe('done');
        const offline = await stack.alerts(up.body.id!);
        const online = await stack.alerts(s.captureId);
        expect(offline.length).toBeGreaterThan(0);
        expect(sorted(online)).toEqual(sorted(offline));
        // The episode's SYN count, compared apart (see comparable()).
        const syns = (fs: Finding[]) => fs.filter((f) => f.detector === 'syn-flood').map((f) => f.count);
        const [liveSyns, fileSyns] = [syns(online), syns(offline)];
        expect(liveSyns.length).toBe(fileSyns.length);
        liveSyns.forEach((n, i) => expect(Math.abs(n - fileSyns[i])).toBeLessThanOrEqual(fileSyns[i] * 0.05));

        // What the session stored, uploaded: the same packets at the same times, the same findings.
        const stored = await fetch(`${stack.api.url}/captures/${s.captureId}/pcap`, { headers: stack.headers });
        expect([stored.status, stored.headers.get('x-netwarden-chunks-missing')]).toEqual([200, '0']);
        const storedFile = join(stack.dataDir, `${name}-as-stored.pcap`);
        writeFileSync(storedFile, Buffer.from(await stored.arrayBuffer()));
        const again = await stack.upload(storedFile);
        expect(again.status).toBe(202);
        expect((await stack.waitDone<CaptureView>(again.body.id!)).status).toBe('done');
        const withoutId = (fs: Finding[]) =>
          fs.map(({ id: _id, ...rest }) => rest).sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
        expect(withoutId(await stack.alerts(again.body.id!))).toEqual(withoutId(online));
      },
      // syn-flood, the slowest (18 k packets replayed at their 2.6 s, uploaded, analysed twice): 17 s
      // under test:stress; it exceeded a fixed 60 s at load ~10.
      budgetMs(17_300),
    );
  });

  describe('API restarts', () => {
    it('LIVE_RESUME (default): SIGTERM pauses the session, the next API resumes the same capture', async () => {
      const s = await startSession(mon0);
      nmapSyn(lab.ip('server'), '1-500');
      await waitFor(
        'the first scan analysed',
        async () => ((await stack.alerts(s.captureId)).length > 0 ? true : undefined),
        15_000,
        200,
      );
      const before = await untilPackets(s.id, 1000);
      const old = stack.api;
      await stack.restartApi();
      const oldGone = Date.now();
      // Nest re-raises the signal after its shutdown hooks: SIGTERM, not the SIGKILL that
      // ServiceProcess.stop sends after 5 s — the sessions were paused in time.
      expect(old.proc.signalCode).toBe('SIGTERM');

      const resumed = await waitFor(
        'the session resumed',
        async () => {
          const v = await session(s.id);
          return v.resumes === 1 ? v : undefined;
        },
        15_000,
        200,
      );
      expect(resumed).toMatchObject({ status: 'running', captureId: s.captureId, interface: mon0 });
      expect(resumed.packets).toBe(before.packets); // counters carried over
      const resumedSeen = Date.now();
      // The note spans the real gap: from the pause (before the old API exited) to the resume.
      const gap = await interruption(s.captureId);
      expect(gap.from).toBeLessThanOrEqual(oldGone);
      expect(gap.to).toBeGreaterThanOrEqual(oldGone - 50); // clocks: the same host, ms rounding
      expect(gap.to).toBeLessThanOrEqual(resumedSeen);

      // Traffic after the restart is captured and analysed into the same capture.
      nmapSyn(lab.ip('victim'), '1-500');
      const { done, capture } = await stopAndFinish(s.id);
      expect(done).toMatchObject({ status: 'stopped', resumes: 1 });
      expect(done.packets).toBeGreaterThanOrEqual(before.packets + 1000);
      expect(done.pcap.dropped).toBe(0);
      expect(capture.progress).toMatchObject({ chunksDone: done.chunks.cut, chunksTotal: done.chunks.cut });
      expect(capture.progress.packets).toBe(done.packets);
      const targets = portScans(await stack.alerts(s.captureId)).flatMap(
        (f) => (f.evidence.targets as { sample: string[] }).sample,
      );
      expect(new Set(targets)).toEqual(new Set([lab.ip('server'), lab.ip('victim')]));
    }, 60_000);

    it('kill -9 of the API: its session is taken over after LIVE_ORPHAN_MS and continues without gaps or overlaps', async () => {
      const s = await startSession(mon0, { chunkMs: 300 });
      // Steady traffic across the kill, so chunks are being cut and recorded when the API dies.
      const ping = lab.execAsync('attacker', ['ping', '-c', '200', '-i', '0.02', lab.ip('server')]);
      await untilPackets(s.id, 60);
      await sleep(300); // mid-chunk
      await stack.restartApi({}, { kill: true });
      const killedAt = Date.now();
      await ping;
      const resumed = await waitFor(
        'the orphaned session taken over',
        async () => {
          const v = await session(s.id);
          return v.resumes === 1 ? v : undefined;
        },
        20_000,
        200,
      );
      expect(resumed).toMatchObject({ status: 'running', captureId: s.captureId });
      const gap = await interruption(s.captureId);
      expect(gap.from).toBeLessThanOrEqual(killedAt);
      expect(gap.to - gap.from).toBeGreaterThanOrEqual(4000); // LIVE_ORPHAN_MS without a heartbeat

      nmapSyn(lab.ip('victim'), '1-300');
      const { done, capture } = await stopAndFinish(s.id);
      // The chunks recorded before the kill, the one its capture process wrote as the API died,
      // and the resumed run's follow each other: numbered 0..n-1, frames contiguous, each file
      // holding the packets its row says.
      const dir = join(stack.dataDir, 'captures', s.captureId);
      const rows = (
        await pg.query<{ seq: number; file: string; firstFrame: string; packets: number }>(
          `SELECT seq, file, "firstFrame", packets FROM capture_chunks WHERE "captureId" = $1 ORDER BY seq`,
          [s.captureId],
        )
      ).rows;
      let frame = 1;
      for (const [i, k] of rows.entries()) {
        expect([k.seq, Number(k.firstFrame)]).toEqual([i, frame]);
        expect([k.seq, (await fileFrames(join(dir, k.file))).packets]).toEqual([k.seq, k.packets]);
        frame += k.packets;
      }
      expect(rows).toHaveLength(done.chunks.cut);
      expect(capture.progress).toMatchObject({ chunksDone: rows.length, chunksTotal: rows.length });
      expect([capture.progress.packets, done.packets]).toEqual([frame - 1, frame - 1]);
      const scans = portScans(await stack.alerts(s.captureId));
      expect(scans.map((f) => [f.src?.ip, f.dst?.ip])).toEqual([[lab.ip('attacker'), lab.ip('victim')]]);
    }, 60_000);

    it('LIVE_RESUME=false on the next API: it closes the paused session instead', async () => {
      const s = await startSession(mon0);
      nmapSyn(lab.ip('server'), '1-200');
      await untilPackets(s.id, 400);
      await stack.restartApi({ LIVE_RESUME: 'false' });
      const closed = await waitFor(
        'the session closed',
        async () => {
          const v = await session(s.id);
          return v.status === 'stopped' ? v : undefined;
        },
        15_000,
        200,
      );
      expect(closed.reason).toBe('the API that ran it stopped (LIVE_RESUME=false)');
      expect(closed.resumes).toBe(0);
      const cap = await stack.waitDone<CaptureView>(s.captureId);
      expect(cap.status).toBe('done');
      expect(cap.progress.packets).toBe(closed.packets);
      expect(portScans(await stack.alerts(s.captureId))).toHaveLength(1);
    }, 60_000);

    it('LIVE_RESUME=false on the API that runs it: SIGTERM stops the session, nobody resumes it', async () => {
      const s = await startSession(mon0);
      await stack.restartApi(); // the API that ran it had LIVE_RESUME=false (previous test)
      const v = await session(s.id);
      expect(v).toMatchObject({ status: 'stopped', reason: 'the API shut down', resumes: 0 });
      expect((await stack.waitDone<CaptureView>(s.captureId)).status).toBe('done');
      await sleep(1500); // a sweep of the new API would have taken it by now
      expect((await session(s.id)).status).toBe('stopped');
    }, 60_000);
  });

  it('reports libpcap drops (a 64 KiB kernel buffer, a replay at top speed) and still analyses the capture', async () => {
    await stack.restartApi({ LIVE_BUFFER_BYTES: '65536', LIVE_MAX_SESSIONS: '1' });
    const { packets: perLoop } = await fileFrames(FLOOD);
    const s = await startSession(mon1);
    // LIVE_MAX_SESSIONS=1: another interface is refused while this one runs.
    const second = await call('POST', '/live', { body: { interface: mon0 } });
    expect([second.status, second.body.error]).toEqual([409, 'busy']);
    expect(String(second.body.message)).toBe('1 live sessions are running on this host (LIVE_MAX_SESSIONS)');
    const sent = await lab.replay('replayer', FLOOD, ['--topspeed', '--loop', '5']);
    expect(sent).toBe(5 * perLoop);
    const seen = await untilPackets(s.id, 1, 15_000);
    // Counters settle once libpcap has handed over what it kept.
    let last = seen;
    for (;;) {
      await sleep(1200);
      const now = await session(s.id);
      if (now.pcap.received === last.pcap.received && now.packets === last.packets) break;
      last = now;
    }
    const { done, capture } = await stopAndFinish(s.id);
    expect(done.pcap.dropped).toBeGreaterThan(0);
    expect(done.packets).toBeLessThan(sent);
    // Every packet the kernel gave libpcap was either captured or counted as dropped.
    expect(done.pcap.received).toBe(done.packets + done.pcap.dropped);
    expect(done.pcap.received).toBeLessThanOrEqual(sent);
    expect(capture.status).toBe('done');
    expect(capture.progress.packets).toBe(done.packets);
  }, 90_000);

  it('retention: LIVE_RETAIN_BYTES=0 deletes analysed chunk files, findings stay, evidence answers 404', async () => {
    await stack.restartApi({ LIVE_RETAIN_BYTES: '0' });
    const s = await startSession(mon0);
    nmapSyn(lab.ip('server'), '1-400');
    const findings = await waitFor(
      'the scan analysed',
      async () => {
        const f = await stack.alerts(s.captureId);
        return f.length > 0 ? f : undefined;
      },
      15_000,
      200,
    );
    await stopAndFinish(s.id);
    const dir = join(stack.dataDir, 'captures', s.captureId);
    const rows = await waitFor(
      'every chunk file pruned',
      async () => {
        const r = await pg.query<{ seq: number; file: string; status: string; pruned: boolean }>(
          `SELECT seq, file, status, "prunedAt" IS NOT NULL AS pruned FROM capture_chunks WHERE "captureId" = $1 ORDER BY seq`,
          [s.captureId],
        );
        return r.rows.every((k) => k.pruned) ? r.rows : undefined;
      },
      20_000,
      250,
    );
    expect(rows.length).toBeGreaterThanOrEqual(2); // the scan's chunk(s) and the closing one
    expect(rows.every((k) => k.status === 'done' && !existsSync(join(dir, k.file)))).toBe(true);

    // The findings outlive their chunk files.
    const after = await stack.alerts(s.captureId);
    expect(after.map((f) => f.id)).toEqual(findings.map((f) => f.id));
    const one = await call<Finding>('GET', `/alerts/${after[0].id}`);
    expect(one.status).toBe(200);
    const pcap = await call<{ statusCode: number; message: string }>('GET', `/alerts/${after[0].id}/pcap`);
    expect(pcap.status).toBe(404);
    expect(pcap.body.message).toBe(
      `evidence of finding ${after[0].id} is not available: the capture's chunk file is no longer on disk`,
    );

    // The new retention also reaches sessions that ended before it was set (the first test's).
    const earlier = await pg.query<{ n: string }>(
      `SELECT count(*) AS n FROM capture_chunks k JOIN live_sessions s ON s."captureId" = k."captureId"
        WHERE s.status = 'stopped' AND k."prunedAt" IS NULL`,
    );
    expect(earlier.rows[0].n).toBe('0');
  }, 90_000);

  it('after all that: /health is 200 and no API process logged a server error; LIVE_ENABLED=false answers 503', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    await stack.restartApi({ LIVE_ENABLED: 'false' });
    const off = await call('POST', '/live', { body: { interface: mon0 } });
    expect([off.status, off.body.error]).toEqual([503, 'disabled']);
    expect((await call('GET', '/health')).status).toBe(200);
    for (const out of [...stack.formerApiOutput, stack.api.output()]) {
      expect(out).not.toMatch(/ExceptionsHandler|Internal server error|"statusCode":500/);
    }
    for (const w of stack.workers) expect(w.output()).not.toMatch(/TypeError|ReferenceError/);
  });
});
