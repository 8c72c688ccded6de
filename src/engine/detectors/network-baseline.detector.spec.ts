import { execFileSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { SHARED_PCAPS, capturesIn, hasTool } from '../../../test/support/paths';
import {
  NET,
  addedHostAndService,
  external,
  ordinaryTraffic,
  tcpSession,
} from '../../../test/support/scenarios/baseline.scenario';
import { TCPF, toRecord } from '../../../test/support/frame-builder';
import { Timeline, host, tcpFrame, udpFrame, type Host } from '../../../test/support/traffic';
import { analyzeCapture } from '../analyze-capture';
import { readCapture } from '../capture/read-capture';
import { emptyBaselineModel, type BaselineModel } from '../baseline/baseline-model';
import { baselineSession, type BaselineMode } from '../baseline/baseline-session';
import { resolveConfig, type EngineConfig } from '../config';
import type { Finding } from '../finding';
import { Pipeline } from '../pipeline';
import { createDetectors } from './registry';

const ATTACKS = join(SHARED_PCAPS, 'attacks');
const CLEAN = join(ATTACKS, 'clean-web.pcap');
const FTP = join(ATTACKS, 'ftp-login.pcap');

async function learnFile(file: string, model = emptyBaselineModel('lab')): Promise<BaselineModel> {
  const session = baselineSession('learn', model);
  const a = await analyzeCapture(file, file, {
    config: resolveConfig(),
    detectors: ['network-baseline'],
    resources: { baseline: session },
  });
  expect(a.findings).toEqual([]); // learning reports nothing
  return session.learned!;
}

async function detectFile(file: string, model: BaselineModel, detectors = ['network-baseline']): Promise<Finding[]> {
  const session = baselineSession('detect', model);
  const a = await analyzeCapture(file, file, { config: resolveConfig(), detectors, resources: { baseline: session } });
  expect(a.errors).toEqual([]);
  expect(session.learned).toBeNull();
  return a.findings.filter((f) => f.detector === 'network-baseline');
}

/** Runs a timeline through a pipeline in `chunks` pieces (fresh pipeline per chunk, restored from the previous one). */
function runTimeline(
  tl: Timeline,
  mode: BaselineMode,
  model: BaselineModel,
  chunks = 1,
  config: EngineConfig = resolveConfig(),
): { findings: Finding[]; learned: BaselineModel | null } {
  const session = baselineSession(mode, model);
  const n = tl.frames.length;
  let state: ReturnType<Pipeline['snapshot']> | null = null;
  let pipeline: Pipeline | null = null;
  for (let c = 0; c < chunks; c++) {
    pipeline = new Pipeline({
      captureId: 'synthetic',
      detectors: createDetectors(config, ['network-baseline'], { baseline: session }),
      config,
    });
    if (state !== null) pipeline.restore(state);
    const from = Math.floor((n * c) / chunks);
    const to = Math.floor((n * (c + 1)) / chunks);
    for (let i = from; i < to; i++)
      pipeline.push(toRecord(tl.frames[i].data, { time: tl.frames[i].time, frame: i + 1 }));
    state = JSON.parse(JSON.stringify(pipeline.snapshot())) as ReturnType<Pipeline['snapshot']>;
  }
  pipeline!.finish();
  return { findings: pipeline!.findings(), learned: session.learned };
}

const summary = (f: Finding[]) => f.map((x) => [x.type, x.severity, x.src, x.count]);

describe('network-baseline detector: no baseline', () => {
  it('without a baseline resource the detector has no hooks and no state (the pipeline never calls it)', async () => {
    const [d] = createDetectors(resolveConfig(), ['network-baseline']);
    expect(d.id).toBe('network-baseline');
    expect(Object.keys(d).filter((k) => k.startsWith('on'))).toEqual([]);
    expect('onPacket' in d).toBe(false);
    expect(d.snapshot()).toBeNull();
    const a = await analyzeCapture(FTP, FTP, { config: resolveConfig() });
    expect(a.findings.filter((f) => f.detector === 'network-baseline')).toEqual([]);
  });
});

describe('network-baseline detector on the lab captures (10.231.0.0/24)', () => {
  it('learn on clean-web, detect on clean-web: silence, with every other detector too', async () => {
    const model = await learnFile(CLEAN);
    // What was learned, by construction of the capture (MANIFEST: victim .10, server .20, gateway .1).
    expect(model.hosts.map((h) => h.ip)).toEqual([
      '10.231.0.1',
      '10.231.0.10',
      '10.231.0.20',
      'fe80::5852:bcff:fea1:f169',
    ]);
    expect(model.services.map((s) => `${s.ip}:${s.port}/${s.proto}`)).toEqual(['10.231.0.20:80/tcp']);
    expect(model.protocols.map((p) => p.name)).toEqual(['arp', 'icmp', 'icmpv6', 'ipv4', 'ipv6', 'tcp']);
    expect(model.packets).toBe(47);
    const all = createDetectors(resolveConfig()).map((d) => d.id);
    expect(await detectFile(CLEAN, model, all)).toEqual([]);
  });

  (hasTool('tshark') ? it : it.skip)(
    'learn on clean-web, detect on ftp-login: exactly the new FTP service (the differences tshark shows)',
    async () => {
      const fields = (file: string, filter: string, ...f: string[]) =>
        new Set(
          execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', ...f.flatMap((x) => ['-e', x])], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'ignore'],
          })
            .split('\n')
            .filter(Boolean),
        );
      // Ground truth: (IP, MAC) pairs of senders, and TCP ports answering with SYN-ACK.
      const pairs = (f: string) => fields(f, 'ip', 'ip.src', 'eth.src');
      const synAck = (f: string) => fields(f, 'tcp.flags.syn==1 && tcp.flags.ack==1', 'ip.src', 'tcp.srcport');
      const newPairs = [...pairs(FTP)].filter((x) => !pairs(CLEAN).has(x));
      const newListeners = [...synAck(FTP)].filter((x) => !synAck(CLEAN).has(x));
      expect(newPairs).toEqual([]);
      // 21 is the control channel; 49931 the passive data port (ephemeral: not a service).
      expect(newListeners.sort()).toEqual(['10.231.0.20\t21', '10.231.0.20\t49931']);

      const f = await detectFile(FTP, await learnFile(CLEAN));
      expect(f).toHaveLength(1);
      expect(f[0]).toMatchObject({
        type: 'baseline-new-service',
        severity: 'medium',
        count: 1,
        src: { ip: '10.231.0.20', port: 21 },
        evidence: { frames: [2], ip: '10.231.0.20', port: 21, proto: 'tcp', hostKnown: true },
      });
      // With no ephemeral exclusion the data port is reported too.
      const session = baselineSession('detect', await learnFile(CLEAN));
      const a = await analyzeCapture(FTP, FTP, {
        config: resolveConfig({ detectors: { 'network-baseline': { ephemeralPortMin: 65536 } } }),
        detectors: ['network-baseline'],
        resources: { baseline: session },
      });
      expect(a.findings.map((x) => `${x.type} ${x.src?.ip}:${x.src?.port}`)).toEqual([
        'baseline-new-service 10.231.0.20:21',
        'baseline-new-service 10.231.0.20:49931',
      ]);
    },
  );

  it('real captures: learned on clean-web, scan-syn gives exactly the new hosts and open ports tshark shows, the same in 1, 3 and 17 chunks', async () => {
    const model = await learnFile(CLEAN);
    const tl = new Timeline(0);
    await readCapture(join(ATTACKS, 'scan-syn.pcap'), {
      onPacket: (rec) => {
        tl.frames.push({
          data: Buffer.from(rec.buf.subarray(rec.offset, rec.offset + rec.capLen)),
          time: rec.tsSec + rec.tsNsec / 1e9,
        });
      },
    });
    const whole = runTimeline(tl, 'detect', model).findings;
    const got = whole.map((f) => `${f.type} ${f.src?.ip}${f.src?.port !== undefined ? `:${f.src.port}` : ''}`).sort();
    if (hasTool('tshark')) {
      // Ground truth by tshark: IPv4 senders not in clean-web; IPv6 senders whose MAC is neither in
      // clean-web nor one of those new IPv4 hosts' (RS from new lab interfaces); SYN-ACK ports not in clean-web.
      const rows = (file: string, filter: string, ...f: string[]) =>
        execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', ...f.flatMap((x) => ['-e', x])], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        })
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t'));
      const SCAN = join(ATTACKS, 'scan-syn.pcap');
      const cleanIps = new Set(rows(CLEAN, 'ip', 'ip.src').map((r) => r[0]));
      const cleanMacs = new Set(rows(CLEAN, 'eth', 'eth.src').map((r) => r[0]));
      const new4 = rows(SCAN, 'ip', 'ip.src', 'eth.src').filter(([ip]) => !cleanIps.has(ip));
      const new4Macs = new Set(new4.map((r) => r[1]));
      const new6 = rows(SCAN, 'ipv6', 'ipv6.src', 'eth.src').filter(([, m]) => !cleanMacs.has(m) && !new4Macs.has(m));
      const cleanSvc = new Set(
        rows(CLEAN, 'tcp.flags.syn==1 && tcp.flags.ack==1', 'ip.src', 'tcp.srcport').map((r) => r.join(':')),
      );
      const svc = rows(SCAN, 'tcp.flags.syn==1 && tcp.flags.ack==1', 'ip.src', 'tcp.srcport').map((r) => r.join(':'));
      const expected = [
        ...new Set([
          ...[...new4, ...new6].map(([ip]) => `baseline-new-host ${ip}`),
          ...svc.filter((x) => !cleanSvc.has(x)).map((x) => `baseline-new-service ${x}`),
        ]),
      ].sort();
      expect(got).toEqual(expected);
    }
    // MANIFEST: nmap from 10.231.0.66 finds 21, 22 and 80 open on 10.231.0.20 (80 was learned);
    // three lab interfaces send their first IPv6 router solicitation.
    expect(got).toEqual([
      'baseline-new-host 10.231.0.66',
      'baseline-new-host fe80::1c2d:bbff:feee:f0c6',
      'baseline-new-host fe80::201a:fff:fee0:7fff',
      'baseline-new-host fe80::709e:acff:fe83:fa0a',
      'baseline-new-service 10.231.0.20:21',
      'baseline-new-service 10.231.0.20:22',
    ]);
    // The IPv6 link-local addresses of known devices (victim, gateway) and of the attacker's MAC are
    // folded into those devices by default; reportNewIpv6OfKnownMac lists them too.
    const every = runTimeline(
      tl,
      'detect',
      model,
      1,
      resolveConfig({ detectors: { 'network-baseline': { reportNewIpv6OfKnownMac: true } } }),
    ).findings.filter((f) => f.type === 'baseline-new-host' && f.src?.ip?.includes(':'));
    expect(every.map((f) => f.src?.ip).sort()).toEqual(
      [
        'fe80::1c2d:bbff:feee:f0c6',
        'fe80::201a:fff:fee0:7fff',
        'fe80::682e:d0ff:fe78:6c92',
        'fe80::709e:acff:fe83:fa0a',
        'fe80::a095:79ff:fe92:b166',
        'fe80::b066:22ff:fef3:3ee',
      ].sort(),
    );
    for (const chunks of [3, 17]) expect(runTimeline(tl, 'detect', model, chunks).findings).toEqual(whole);
    // Learning it in chunks gives the whole-capture model too.
    const learned = runTimeline(tl, 'learn', model).learned;
    for (const chunks of [3, 17]) expect(runTimeline(tl, 'learn', model, chunks).learned).toEqual(learned);
  });

  it.each([...capturesIn(ATTACKS), ...capturesIn(join(SHARED_PCAPS, 'public'))].map((f) => [basename(f), f]))(
    '%s: learned on itself, detecting on itself is silent',
    async (_name, file) => {
      expect(await detectFile(file, await learnFile(file))).toEqual([]);
    },
  );
});

describe('network-baseline detector (synthetic office network)', () => {
  it('learn on one capture, detect on another with an added host and service: exactly those two findings', () => {
    const { learn, detect } = addedHostAndService();
    const { learned } = runTimeline(learn, 'learn', emptyBaselineModel('office'));
    expect(learned!.hosts.map((h) => [h.ip, h.macs])).toEqual([
      ['10.50.0.1', [NET.gw.mac]],
      ['10.50.0.10', [NET.w1.mac]],
      ['10.50.0.11', [NET.w2.mac]],
      ['10.50.0.20', [NET.server.mac]],
    ]);
    expect(learned!.services.map((s) => `${s.ip}:${s.port}/${s.proto}`)).toEqual([
      '10.50.0.20:53/udp',
      '10.50.0.20:80/tcp',
    ]);
    expect(learned!.hosts.find((h) => h.ip === '10.50.0.10')!.peers).toEqual(['10.50.0.20', '93.184.216.34']);

    const { findings } = runTimeline(detect, 'detect', learned!);
    expect(summary(findings)).toEqual([
      ['baseline-new-host', 'low', { ip: '10.50.0.30', mac: NET.newcomer.mac }, 5], // its five frames
      ['baseline-new-service', 'medium', { ip: '10.50.0.20', port: 22 }, 1],
    ]);
    expect(findings[0].evidence).toMatchObject({ ip: '10.50.0.30', mac: NET.newcomer.mac, macKnown: false });
    // The ordinary traffic alone is silent.
    const again = new Timeline(detect.start);
    ordinaryTraffic(again, 0);
    expect(runTimeline(again, 'detect', learned!).findings).toEqual([]);
  });

  it('a known IP from another MAC, a new protocol and a MAC without an internal address', () => {
    const { learn } = addedHostAndService();
    const { learned } = runTimeline(learn, 'learn', emptyBaselineModel('office'));
    const tl = new Timeline(learn.start + 3600);
    ordinaryTraffic(tl, 0);
    const impostor: Host = { ip: NET.w2.ip, mac: '02:00:00:00:66:66' };
    tcpSession(tl, 70, impostor, NET.server, 54_000, 80);
    // GRE from w1 to an external tunnel end.
    tl.add(80, tcpFrame(NET.w1, external('198.51.100.9'), { sport: 1, dport: 2, seq: 1, flags: TCPF.ACK }));
    const gre = Buffer.from(tl.frames[tl.frames.length - 1].data);
    gre[14 + 9] = 47;
    tl.frames[tl.frames.length - 1].data = gre;
    // A second router: external source behind a MAC the model never saw.
    tl.add(90, udpFrame({ ip: '203.0.113.5', mac: '02:00:00:00:77:77' }, NET.w1, 123, 40_123, Buffer.alloc(48)));
    const f = runTimeline(tl, 'detect', learned!).findings;
    expect(summary(f)).toEqual([
      ['baseline-new-mac-for-host', 'medium', { ip: '10.50.0.11', mac: '02:00:00:00:66:66' }, 5],
      ['baseline-new-protocol', 'low', { ip: '10.50.0.10', mac: NET.w1.mac }, 1],
      ['baseline-new-mac', 'low', { ip: '203.0.113.5', mac: '02:00:00:00:77:77' }, 1],
    ]);
    expect(f[0].evidence).toMatchObject({ learnedMacs: [NET.w2.mac], macKnown: false });
    expect(f[1].evidence).toMatchObject({ protocol: 'gre' });
  });

  describe('hourly volume', () => {
    const start = 1_767_225_600;
    const cloud = external('198.51.100.7');
    const PAYLOAD = Buffer.alloc(8000, 7);
    const FRAME_LEN = 14 + 20 + 8 + PAYLOAD.length;
    /** `perHour[i]` datagrams from the mover to a cloud host, spread over hour i. */
    function uploads(perHour: number[]): Timeline {
      const tl = new Timeline(start);
      perHour.forEach((n, h) => {
        for (let i = 0; i < n; i++) tl.add(h * 3600 + (i * 3500) / n, udpFrame(NET.mover, cloud, 5000, 9000, PAYLOAD));
      });
      return tl;
    }
    const LEARNED = [240, 260, 250, 230, 270, 250]; // ~2 MB per hour
    const model = () => runTimeline(uploads(LEARNED), 'learn', emptyBaselineModel('office')).learned!;
    const detectHour = (n: number, config?: EngineConfig) => {
      const m = model();
      const tl = uploads([]);
      const at = start + 7 * 3600;
      for (let i = 0; i < n; i++)
        tl.frames.push({ time: at + (i * 3500) / n, data: udpFrame(NET.mover, cloud, 5000, 9000, PAYLOAD) });
      return runTimeline(tl, 'detect', m, 1, config).findings;
    };

    it('learns the hourly mean and variance of the active hours', () => {
      const h = model().hosts.find((x) => x.ip === NET.mover.ip)!;
      // Five closed hours folded, the sixth still open (a later capture may continue it).
      expect(h.packets.n).toBe(5);
      expect(h.packets.mean).toBeCloseTo((240 + 260 + 250 + 230 + 270) / 5, 9);
      expect(h.open).toEqual({ hour: Math.floor(start / 3600) + 5, bytes: 250 * FRAME_LEN, packets: 250, conns: 1 });
    });

    it('a jump to 8x the learned hours: one finding with the statistic', () => {
      const f = detectHour(2000);
      expect(summary(f)).toEqual([['baseline-volume-spike', 'medium', { ip: NET.mover.ip }, 1]]);
      const mean = 250 * FRAME_LEN;
      const sd = Math.sqrt(((10 * 10 + 10 * 10 + 0 + 20 * 20 + 20 * 20 + 0) / 6) * FRAME_LEN * FRAME_LEN);
      const bytes = f[0].evidence.bytes as Record<string, number>;
      expect(bytes.learnedHours).toBe(6);
      expect(bytes.learnedMean).toBeCloseTo(mean, 1);
      expect(bytes.learnedStddev).toBeCloseTo(sd, 1);
      // The hour is complete at the end of the capture: the final total of the hour.
      expect(bytes.observed).toBe(2000 * FRAME_LEN);
      expect(bytes.zScore).toBeCloseTo((2000 * FRAME_LEN - mean) / sd, 1);
      expect(bytes.ratio).toBe(8);
      expect(f[0].evidence.thresholds).toEqual({ zScore: 4, minRatio: 3, minBytes: 10_000_000, minPackets: 10_000 });
      expect(f[0].evidence.hourComplete).toBe(true);
    });

    it('a modest rise (1.6x) is silent, even with no minimum volume: the ratio guards it', () => {
      expect(detectHour(400)).toEqual([]);
      const noMin = resolveConfig({ detectors: { 'network-baseline': { volumeMinBytes: 0, volumeMinPackets: 0 } } });
      expect(detectHour(400, noMin)).toEqual([]);
      // And the same config does flag 4x, so it is the ratio and not something else that held.
      expect(detectHour(1000, noMin).map((x) => x.type)).toEqual(['baseline-volume-spike']);
    });

    it('a tiny baseline does not alert on an ordinary amount (minimum volume)', () => {
      const tiny = runTimeline(
        (() => {
          const tl = new Timeline(start);
          for (let h = 0; h < 4; h++) tl.add(h * 3600, udpFrame(NET.mover, cloud, 5000, 9000, Buffer.alloc(10)));
          return tl;
        })(),
        'learn',
        emptyBaselineModel('office'),
      ).learned!;
      const tl = new Timeline(start + 5 * 3600);
      for (let i = 0; i < 600; i++) tl.add(i, udpFrame(NET.mover, cloud, 5000, 9000, PAYLOAD)); // 4.8 MB, 100 000x
      expect(runTimeline(tl, 'detect', tiny).findings).toEqual([]);
    });
  });

  describe('contacts and peers', () => {
    const start = 1_767_225_600;
    const w = NET.w1;
    function syns(tl: Timeline, at: number, peers: string[], perPeer = 1, port = 443): void {
      let k = 0;
      for (const ip of peers)
        for (let j = 0; j < perPeer; j++)
          tl.add(
            at + k++ * 0.5,
            tcpFrame(w, external(ip), { sport: 30_000 + (k % 20_000), dport: port, seq: k, flags: TCPF.SYN }),
          );
    }
    const usual = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'];
    const learnedModel = () => {
      const tl = new Timeline(start);
      for (let h = 0; h < 6; h++) syns(tl, h * 3600, usual, 4); // 20 contacts an hour
      return runTimeline(tl, 'learn', emptyBaselineModel('office')).learned!;
    };
    const fresh = (n: number) => Array.from({ length: n }, (_, i) => `203.0.${113 + (i >> 8)}.${i & 255}`);

    it('150 new external addresses within the window: one finding; 99: none', () => {
      const m = learnedModel();
      const bulk = new Timeline(start + 10 * 3600);
      syns(bulk, 0, fresh(150));
      const f = runTimeline(bulk, 'detect', m).findings;
      expect(summary(f)).toEqual([['baseline-new-external-peers', 'medium', { ip: w.ip }, 150]]);
      expect(f[0].evidence).toMatchObject({ threshold: 100, window: 3600, newPeers: 150 });
      expect((f[0].evidence.sample as string[]).slice(0, 2)).toEqual(['203.0.113.0', '203.0.113.1']);

      const few = new Timeline(start + 10 * 3600);
      syns(few, 0, fresh(99));
      syns(few, 100, usual, 10); // learned peers do not count
      expect(runTimeline(few, 'detect', m).findings).toEqual([]);
    });

    it('contacts far above the learned hourly rate (to known peers): one connection-spike finding', () => {
      const m = learnedModel();
      const tl = new Timeline(start + 10 * 3600);
      syns(tl, 0, usual, 200); // 1000 in the hour against ~20
      const f = runTimeline(tl, 'detect', m).findings;
      expect(summary(f)).toEqual([['baseline-connection-spike', 'medium', { ip: w.ip }, 1]]);
      expect(f[0].evidence.conns).toMatchObject({
        learnedHours: 6,
        learnedMean: 20,
        learnedStddev: 0,
        observed: 1000,
        zScore: null,
        ratio: 50,
      });
      const modest = new Timeline(start + 10 * 3600);
      syns(modest, 0, usual, 50); // 250: 12x but below 600 an hour
      expect(runTimeline(modest, 'detect', m).findings).toEqual([]);
    });
  });

  describe('modes, chunks and bounds', () => {
    it('learning gives the same model whole or in chunks (snapshot/restore), and so does detection', () => {
      const { learn, detect } = addedHostAndService();
      const whole = runTimeline(learn, 'learn', emptyBaselineModel('office')).learned!;
      for (const chunks of [2, 3, 7, 40]) {
        expect(runTimeline(learn, 'learn', emptyBaselineModel('office'), chunks).learned).toEqual(whole);
        expect(runTimeline(detect, 'detect', whole, chunks).findings).toEqual(
          runTimeline(detect, 'detect', whole).findings,
        );
      }
      // Learning two captures in turn extends the model: hosts and services are the union.
      const both = runTimeline(detect, 'learn', whole).learned!;
      expect(both.hosts.map((h) => h.ip)).toContain('10.50.0.30');
      expect(both.services.map((s) => s.port)).toEqual([22, 53, 80]);
      expect(both.from).toBe(learn.frames[0].time);
      expect(both.to).toBe(detect.frames[detect.frames.length - 1].time);
    });

    it('auto: learns for learnPeriod from the model start, then detects', () => {
      const { learn, detect } = addedHostAndService();
      const tl = new Timeline(learn.start);
      tl.frames.push(...learn.frames, ...detect.frames);
      const day = resolveConfig({ detectors: { 'network-baseline': { learnPeriod: 3600 } } });
      for (const chunks of [1, 5]) {
        const r = runTimeline(tl, 'auto', emptyBaselineModel('office'), chunks, day);
        expect(summary(r.findings).map((x) => x[0])).toEqual(['baseline-new-host', 'baseline-new-service']);
        // The model holds the learned hour only.
        expect(r.learned!.hosts.map((h) => h.ip)).not.toContain('10.50.0.30');
        expect(r.learned!.to).toBe(learn.frames[learn.frames.length - 1].time);
      }
    });

    it('caps: hosts beyond maxHosts evict the least recently seen; peers per host stop at their cap', () => {
      const cfg = resolveConfig({ detectors: { 'network-baseline': { maxHosts: 16, maxPeersPerHost: 3 } } });
      const tl = new Timeline(1_767_225_600);
      for (let i = 1; i <= 40; i++) tl.add(i, udpFrame(host(`10.9.0.${i}`, i), NET.server, 1000, 2000));
      for (let i = 1; i <= 5; i++) tl.add(50 + i, udpFrame(NET.w1, external(`198.51.100.${i}`), 1000, 2000));
      const m = runTimeline(tl, 'learn', emptyBaselineModel('office'), 1, cfg).learned!;
      expect(m.hosts.length).toBeLessThanOrEqual(16);
      expect(m.hosts.map((h) => h.ip)).toContain('10.9.0.40');
      expect(m.hosts.map((h) => h.ip)).not.toContain('10.9.0.1');
      const w1 = m.hosts.find((h) => h.ip === NET.w1.ip)!;
      expect(w1.peers).toHaveLength(3);
      expect(w1.peersTruncated).toBe(true);
    });

    it('entries not seen for forgetAfter are forgotten when learning goes on', () => {
      const { learn } = addedHostAndService();
      const m = runTimeline(learn, 'learn', emptyBaselineModel('office')).learned!;
      const later = new Timeline(learn.start + 31 * 86_400);
      tcpSession(later, 0, NET.newcomer, external('93.184.216.34'), 40_000, 443);
      const m2 = runTimeline(later, 'learn', m).learned!;
      expect(m2.hosts.map((h) => h.ip)).toEqual(['10.50.0.30']);
      expect(m2.services).toEqual([]);
    });
  });
});
