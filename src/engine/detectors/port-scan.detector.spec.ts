import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TCPF } from '../../../test/support/frame-builder';
import { FIXTURES, SHARED_PCAPS, capturesIn } from '../../../test/support/paths';
import { tshark } from '../../../test/support/tshark-summary';
import { Timeline, arpFrame, host, icmpFrame, run, tcpFrame } from '../../../test/support/traffic';
import { analyzeCapture } from '../analyze-capture';
import { resolveConfig } from '../config';
import type { Finding } from '../finding';

function summary(f: Finding) {
  const e = f.evidence as Record<string, unknown> & {
    ports?: { count: number; sample: number[] };
    targets?: { count: number; sample: string[] };
    liveHosts?: { count: number };
  };
  return {
    type: f.type,
    severity: f.severity,
    mitre: f.mitre,
    src: f.src?.ip,
    dst: f.dst?.ip,
    count: f.count,
    kind: e.kind,
    technique: e.technique,
    ports: e.ports?.count,
    targets: e.targets?.count,
    openPorts: e.openPorts,
    live: e.liveHosts?.count,
  };
}

async function findings(file: string, detectors = ['port-scan']) {
  const a = await analyzeCapture(file, file, { config: resolveConfig(), detectors });
  expect(a.errors).toEqual([]);
  return a.findings;
}

const attacks = join(SHARED_PCAPS, 'attacks');

describe('port-scan detector on the recorded nmap scans', () => {
  it('scan-syn.pcap (nmap -sS -p 1-1024): one SYN scan finding, 1024 ports, open ports 21/22/80', async () => {
    const f = await findings(join(attacks, 'scan-syn.pcap'));
    expect(f.map(summary)).toEqual([
      {
        type: 'port-scan',
        severity: 'medium',
        mitre: 'T1046',
        src: '10.231.0.66',
        dst: '10.231.0.20',
        count: 1024,
        kind: 'vertical',
        technique: 'SYN',
        ports: 1024,
        targets: 1,
        openPorts: ['21', '22', '80'],
        live: undefined,
      },
    ]);
    expect(f[0].title).toBe('SYN vertical port scan from 10.231.0.66: 1024 ports of 10.231.0.20');
    // 1021 closed ports answered RST-ACK; the three open ones SYN-ACK, then nmap's bare RST.
    expect(f[0].evidence.techniques).toEqual({ SYN: 1024 });
  });

  it('scan-connect.pcap (nmap -sT -p 20-200): connect scan, the handshakes to 21/22/80 completed and dropped', async () => {
    const f = await findings(join(attacks, 'scan-connect.pcap'));
    expect(f.map(summary)).toEqual([
      expect.objectContaining({
        type: 'port-scan',
        src: '10.231.0.66',
        dst: '10.231.0.20',
        count: 181,
        kind: 'vertical',
        technique: 'connect',
        ports: 181,
        openPorts: ['21', '22', '80'],
      }),
    ]);
    expect(f[0].evidence.techniques).toEqual({ SYN: 178, connect: 3 });
  });

  it('scan-xmas.pcap (nmap -sX -p 1-300): XMAS scan over 300 ports (303 probes: nmap retried the silent ones)', async () => {
    const f = await findings(join(attacks, 'scan-xmas.pcap'));
    expect(f.map(summary)).toEqual([
      expect.objectContaining({ src: '10.231.0.66', dst: '10.231.0.20', count: 303, technique: 'XMAS', ports: 300 }),
    ]);
  });

  it('scan-udp.pcap (nmap -sU -p 50-90): UDP scan from ICMP port unreachable and unanswered empty probes', async () => {
    const f = await findings(join(attacks, 'scan-udp.pcap'));
    expect(f.map(summary)).toEqual([
      expect.objectContaining({ src: '10.231.0.66', dst: '10.231.0.20', count: 37, technique: 'UDP', ports: 37 }),
    ]);
    // 41 ports were probed; 53, 67, 69 and 80 got nmap's payload probes (not "empty") and no ICMP
    // answer (the kernel rate-limits them), so they prove nothing either way.
    const sample = (f[0].evidence.ports as { sample: number[] }).sample;
    expect(sample.filter((p) => [53, 67, 69, 80].includes(p))).toEqual([]);
    expect(sample).toContain(50);
    expect(sample).toContain(90);
  });

  it('syn-flood.pcap is not a port scan (6000 half-open handshakes, all to port 80)', async () => {
    expect(await findings(join(attacks, 'syn-flood.pcap'))).toEqual([]);
  });

  const quiet = readdirSync(attacks).filter((f) => f.endsWith('.pcap') && !f.startsWith('scan-'));
  it.each(quiet)('is silent on attacks/%s', async (name) => {
    expect(await findings(join(attacks, name))).toEqual([]);
  });

  it('is silent on every public capture', async () => {
    for (const file of capturesIn(join(SHARED_PCAPS, 'public'))) {
      expect([file, (await findings(file)).length]).toEqual([file, 0]);
    }
  });
});

describe('port-scan evidence: count and framesTotal agree with tshark', () => {
  /** tshark's frame numbers for a display filter. */
  const frames = (file: string, filter: string) =>
    new Set(tshark(file, ['-Y', filter, '-T', 'fields', '-e', 'frame.number']).map(Number));

  it('fixtures/scan-fin-null (nmap -sF then -sN, 200 ports): count = probes, framesTotal = one settling frame per probe', async () => {
    const file = join(FIXTURES, 'scan-fin-null', 'input.pcap');
    const scanner = '10.233.0.66';
    const fin = frames(file, `ip.src == ${scanner} && tcp.flags == 0x001`);
    const nul = frames(file, `ip.src == ${scanner} && tcp.flags == 0x000`);
    const rst = frames(file, `ip.dst == ${scanner} && tcp.flags.reset == 1`);
    const f = await findings(file);
    expect(f.map(summary)).toEqual([
      expect.objectContaining({ src: scanner, dst: '10.233.0.20', kind: 'vertical', ports: 200 }),
    ]);
    // Every FIN and NULL probe failed: rejected by a RST-ACK (closed) or unanswered (open|filtered).
    expect(f[0].count).toBe(fin.size + nul.size);
    expect(f[0].evidence.techniques).toEqual({ FIN: fin.size, NULL: nul.size });
    // One evidence frame per failed attempt: the RST that rejected it, or the unanswered probe.
    expect(f[0].evidence.framesTotal).toBe(f[0].count);
    const unanswered = fin.size + nul.size - rst.size;
    expect(unanswered).toBeGreaterThan(0); // port 80 is open: the case where the probe is the evidence
    const listed = f[0].evidence.frames;
    expect(listed.length).toBe(Math.min(50, f[0].count));
    expect(new Set(listed).size).toBe(listed.length);
    for (const n of listed) expect([n, rst.has(n) || fin.has(n) || nul.has(n)]).toEqual([n, true]);
  });

  it.each(['scan-syn.pcap', 'scan-xmas.pcap'])(
    'attacks/%s: framesTotal = count, every listed frame a TCP segment to or from the scanner',
    async (name) => {
      const file = join(attacks, name);
      // Probes, the rejections, and in scan-syn the scanner's RST tearing down an open port's handshake.
      const involved = frames(file, 'ip.addr == 10.231.0.66 && tcp');
      const f = await findings(file);
      expect(f).toHaveLength(1);
      expect(f[0].evidence.framesTotal).toBe(f[0].count);
      expect(f[0].evidence.frames).toHaveLength(50);
      for (const n of f[0].evidence.frames) expect([n, involved.has(n)]).toEqual([n, true]);
    },
  );
});

// ---- synthetic scans ------------------------------------------------------------------------

const SCANNER = host('10.9.0.66', 0x66);
const VICTIM = host('10.9.0.20', 0x20);
const SPORT = 41000;

/** One stealth probe per port 1..20; every port but 7 is closed and answers as RFC 9293 says. */
function stealthScan(flags: number): Timeline {
  const t = new Timeline();
  for (let port = 1; port <= 20; port++) {
    const at = port * 0.01;
    const seq = 1000 + port;
    const ack = 5000 + port;
    const withAck = (flags & TCPF.ACK) !== 0;
    t.add(at, tcpFrame(SCANNER, VICTIM, { sport: SPORT, dport: port, seq, ack: withAck ? ack : 0, flags }));
    if (port === 7) continue; // open (or filtered): no answer
    const len = (flags & TCPF.FIN ? 1 : 0) + (flags & TCPF.SYN ? 1 : 0);
    // Segment with ACK → <SEQ=SEG.ACK><CTL=RST>; without → <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    t.add(
      at + 0.001,
      withAck
        ? tcpFrame(VICTIM, SCANNER, { sport: port, dport: SPORT, seq: ack, flags: TCPF.RST })
        : tcpFrame(VICTIM, SCANNER, { sport: port, dport: SPORT, seq: 0, ack: seq + len, flags: TCPF.RST | TCPF.ACK }),
    );
  }
  return t;
}

describe('port-scan detector on synthetic stealth scans and sweeps', () => {
  it.each([
    ['FIN', TCPF.FIN, 20],
    ['XMAS', TCPF.FIN | TCPF.PSH | TCPF.URG, 20],
    ['NULL', 0, 20],
    // An ACK-bearing probe to an open port is answered with a RST too (LISTEN state, RFC 9293),
    // but here port 7 stays silent like a filtering firewall: 19 answered probes.
    ['Maimon', TCPF.FIN | TCPF.ACK, 19],
    ['ACK', TCPF.ACK, 19],
  ])('%s scan of 20 ports: named, counted, one finding', (technique, flags, count) => {
    const { findings } = run(stealthScan(flags), ['port-scan']);
    expect(findings.map(summary)).toEqual([
      {
        type: 'port-scan',
        severity: 'medium',
        mitre: 'T1046',
        src: '10.9.0.66',
        dst: '10.9.0.20',
        count,
        kind: 'vertical',
        technique,
        ports: count,
        targets: 1,
        openPorts: [],
        live: undefined,
      },
    ]);
  });

  it('a NULL scan is also, truly, a stream of flagless TCP packets: packet-anomaly says so in its own finding', () => {
    const { findings } = run(stealthScan(0), ['port-scan', 'packet-anomaly']);
    expect(findings.map((f) => [f.detector, f.type, f.src?.ip, f.count])).toEqual([
      ['packet-anomaly', 'invalid-tcp-flags', '10.9.0.66', 20],
      ['port-scan', 'port-scan', '10.9.0.66', 20],
    ]);
  });

  it('below the threshold (14 closed ports) nothing is reported', () => {
    const t = new Timeline();
    for (let port = 1; port <= 14; port++) {
      t.add(port * 0.01, tcpFrame(SCANNER, VICTIM, { sport: SPORT, dport: port, seq: port, flags: TCPF.SYN }));
      t.add(
        port * 0.01 + 0.001,
        tcpFrame(VICTIM, SCANNER, { sport: port, dport: SPORT, seq: 0, ack: port + 1, flags: TCPF.RST | TCPF.ACK }),
      );
    }
    expect(run(t, ['port-scan']).findings).toEqual([]);
  });

  it('horizontal SYN scan: port 445 on 30 hosts, unanswered → one finding naming 30 targets', () => {
    const t = new Timeline();
    for (let i = 1; i <= 30; i++) {
      t.add(
        i * 0.05,
        tcpFrame(SCANNER, host(`10.9.3.${i}`, i), { sport: 40000 + i, dport: 445, seq: i, flags: TCPF.SYN }),
      );
    }
    const { findings } = run(t, ['port-scan']);
    expect(findings.map(summary)).toEqual([
      expect.objectContaining({
        src: '10.9.0.66',
        dst: undefined,
        count: 30,
        kind: 'horizontal',
        ports: 1,
        targets: 30,
      }),
    ]);
  });

  it('a busy client (40 web servers, 40 services of one host, all answered with data) is not a scanner', () => {
    const t = new Timeline();
    let at = 0;
    const session = (server: ReturnType<typeof host>, dport: number, sport: number) => {
      const c = 1000;
      const s = 9000;
      t.add((at += 0.001), tcpFrame(SCANNER, server, { sport, dport, seq: c, flags: TCPF.SYN }));
      t.add(
        (at += 0.001),
        tcpFrame(server, SCANNER, { sport: dport, dport: sport, seq: s, ack: c + 1, flags: TCPF.SYN | TCPF.ACK }),
      );
      t.add((at += 0.001), tcpFrame(SCANNER, server, { sport, dport, seq: c + 1, ack: s + 1, flags: TCPF.ACK }));
      const req = Buffer.from('GET / HTTP/1.1\r\n\r\n');
      t.add(
        (at += 0.001),
        tcpFrame(SCANNER, server, { sport, dport, seq: c + 1, ack: s + 1, flags: TCPF.ACK | TCPF.PSH, payload: req }),
      );
      t.add(
        (at += 0.001),
        tcpFrame(SCANNER, server, { sport, dport, seq: c + 1 + req.length, ack: s + 1, flags: TCPF.ACK | TCPF.FIN }),
      );
    };
    for (let i = 1; i <= 40; i++) session(host(`10.9.4.${i}`, i), 443, 50000 + i);
    for (let i = 1; i <= 40; i++) session(VICTIM, 8000 + i, 51000 + i);
    expect(run(t, ['port-scan']).findings).toEqual([]);
  });

  it('ICMP echo sweep of 30 hosts, 10 alive: a host-sweep finding naming the live count', () => {
    const t = new Timeline();
    for (let i = 1; i <= 30; i++) {
      const target = host(`10.9.1.${i}`, 0x100 + i);
      t.add(i * 0.01, icmpFrame(SCANNER, target, 8, 0, (0x4242 << 16) | i));
      if (i % 3 === 0) t.add(i * 0.01 + 0.001, icmpFrame(target, SCANNER, 0, 0, (0x4242 << 16) | i));
    }
    const { findings } = run(t, ['port-scan']);
    expect(findings.map(summary)).toEqual([
      {
        type: 'host-sweep',
        severity: 'low',
        mitre: 'T1018',
        src: '10.9.0.66',
        dst: undefined,
        count: 30,
        kind: 'sweep',
        technique: 'ICMP echo',
        ports: undefined,
        targets: 30,
        openPorts: undefined,
        live: 10,
      },
    ]);
    // One evidence frame per host asked: the 30 echo requests, none of the replies.
    expect(findings[0].evidence.framesTotal).toBe(30);
    expect(findings[0].evidence.frames).toEqual(Array.from({ length: 30 }, (_, i) => 1 + i + Math.floor(i / 3)));
  });

  it('ARP sweep of 40 addresses, 5 answered: a host-sweep finding; gratuitous ARP and ARP probes do not count', () => {
    const t = new Timeline();
    t.add(0, arpFrame(1, SCANNER, SCANNER.ip, SCANNER.ip, '00:00:00:00:00:00')); // gratuitous
    t.add(0.001, arpFrame(1, SCANNER, '0.0.0.0', '10.9.2.200', '00:00:00:00:00:00')); // RFC 5227 probe
    for (let i = 1; i <= 40; i++) {
      t.add(i * 0.01, arpFrame(1, SCANNER, SCANNER.ip, `10.9.2.${i}`, '00:00:00:00:00:00'));
      if (i <= 5)
        t.add(i * 0.01 + 0.001, arpFrame(2, host(`10.9.2.${i}`, 0x200 + i), `10.9.2.${i}`, SCANNER.ip, SCANNER.mac));
    }
    const { findings } = run(t, ['port-scan']);
    expect(findings.map(summary)).toEqual([
      expect.objectContaining({
        type: 'host-sweep',
        src: '10.9.0.66',
        count: 40,
        technique: 'ARP',
        targets: 40,
        live: 5,
      }),
    ]);
  });

  it('two windows of the same scanner are two findings (Zeek: port_scan_interval)', () => {
    const t = new Timeline();
    for (const base of [0, 400]) {
      for (let port = 1; port <= 20; port++) {
        t.add(base + port * 0.01, tcpFrame(SCANNER, VICTIM, { sport: SPORT, dport: port, seq: port, flags: TCPF.FIN }));
      }
    }
    const f = run(t, ['port-scan']).findings;
    expect(f.map((x) => [x.count, x.evidence.technique])).toEqual([
      [20, 'FIN'],
      [20, 'FIN'],
    ]);
    expect(f[0].id).not.toBe(f[1].id);
  });
});
