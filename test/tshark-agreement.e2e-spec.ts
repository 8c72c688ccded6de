/**
 * Our decoder against tshark, packet by packet, on every capture in fixtures/ and the shared
 * public and attack captures: packet count, src/dst address, ports, IP protocol and TCP flags.
 *
 * Every difference must fall in one of the classes in EXPLAINED (each with the reason it is
 * not a bug); anything else fails the test with the frame and both views.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as F from './support/frame-builder';
import { readCapture } from '../src/engine/capture/read-capture';
import { DecodedPacket } from '../src/engine/decode/decoded-packet';
import { PacketDecoder } from '../src/engine/decode/packet.decoder';
import { dstIp, srcIp } from '../src/engine/decode/address';

const SHARED = path.resolve(__dirname, '../../shared/pcaps');
const FUZZ_FIXTURES = path.resolve(__dirname, '../fixtures/fuzz');
const DIRS = [path.resolve(__dirname, '../fixtures'), path.join(SHARED, 'public'), path.join(SHARED, 'attacks')];

const FIELDS = [
  'frame.number',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'arp.src.proto_ipv4',
  'arp.dst.proto_ipv4',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  'ip.proto',
  'ipv6.nxt',
  'ipv6.hopopts.nxt',
  'ipv6.dstopts.nxt',
  'ipv6.routing.nxt',
  'ipv6.fraghdr.nxt',
  'tcp.flags',
  'frame.protocols',
] as const;
type Field = (typeof FIELDS)[number];

/** What both sides are compared on, as text. */
interface View {
  src: string;
  dst: string;
  sport: string;
  dport: string;
  proto: string;
  flags: string;
}
type Key = keyof View;
const KEYS: Key[] = ['src', 'dst', 'sport', 'dport', 'proto', 'flags'];

interface Ours extends View {
  ipProto: number;
  isFragment: boolean;
  reassembled: boolean;
  malformed: string | null;
  ipVersion: number;
  ipOptionFlags: number;
}

interface Diff {
  frame: number;
  key: Key;
  ours: string;
  theirs: string;
  protocols: string;
}

/**
 * Known, understood differences. Each returns true when the difference is of its class.
 */
const EXPLAINED: Array<{ reason: string; applies: (d: Diff, o: Ours) => boolean }> = [
  {
    // ICMP errors quote the offending datagram's IP + first bytes of its transport header;
    // tshark dissects the quote and shows its ports (and flags). We treat the quote as payload.
    reason: 'ICMP/ICMPv6 error quoting a datagram: tshark shows the quoted ports/flags',
    applies: (d, o) =>
      (o.ipProto === 1 || o.ipProto === 58) &&
      (d.key === 'sport' || d.key === 'dport' || d.key === 'flags') &&
      d.ours === '',
  },
  {
    // Tunnels (GRE 47, IP-in-IP 4, 6in4 41): we decode the outer datagram only; tshark also
    // dissects the inner one, and the inner transport's ports are the only ones it lists.
    reason: 'tunnel: tshark shows the inner transport ports, we stop at the outer IP payload',
    applies: (d, o) =>
      (o.ipProto === 47 || o.ipProto === 4 || o.ipProto === 41) &&
      (d.key === 'sport' || d.key === 'dport' || d.key === 'flags') &&
      d.ours === '',
  },
  {
    // A loose/strict source-routed IPv4 datagram: tshark shows the route's final hop as ip.dst
    // ("Dst: final, Via: header dst"); we keep the header's destination (the next hop) and set
    // IP_OPT.LSRR/SSRR so detectors see the source route.
    reason: 'IPv4 source route: tshark shows the final destination as ip.dst',
    applies: (d, o) => o.ipVersion === 4 && (o.ipOptionFlags & 3) !== 0 && d.key === 'dst',
  },
  {
    // An IPv4 option whose length runs past the header: tshark stops dissecting at IP. We still
    // decode layer 4, because the IHL bounds the header whatever the options say, and flag the
    // packet 'ipv4.bad-options' for the anomaly detector.
    reason: 'malformed IPv4 options: tshark stops at IP, we decode layer 4 behind the IHL',
    applies: (d, o) =>
      o.malformed === 'ipv4.bad-options' &&
      (d.key === 'sport' || d.key === 'dport' || d.key === 'flags') &&
      d.theirs === '',
  },
];

function listCaptures(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const f = path.join(dir, name);
      // Not the fuzzer's crash reproducers: damaged on purpose, and tshark exits 2 on one of them.
      if (statSync(f).isDirectory()) {
        if (f !== FUZZ_FIXTURES) walk(f);
      } else if (/\.(pcap|pcapng|cap)$/i.test(name)) out.push(f);
    }
  };
  DIRS.forEach(walk);
  return out;
}

function first(v: string): string {
  const i = v.indexOf(',');
  return i < 0 ? v : v.slice(0, i);
}

function tsharkViews(file: string): Array<View & { frame: number; protocols: string }> {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of FIELDS) args.push('-e', f);
  const text = execFileSync('tshark', args, {
    maxBuffer: 512 * 1024 * 1024,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const rows: Array<View & { frame: number; protocols: string }> = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const cols = line.split('\t');
    const g = (f: Field) => first(cols[FIELDS.indexOf(f)] ?? '');
    const ip4 = g('ip.src') !== '';
    const ip6 = g('ipv6.src') !== '';
    // Outermost IP layer: tshark lists tunnelled headers as further values (GRE, Teredo, 6in4...).
    // Which of v4/v6 is outer follows frame.protocols.
    const protos = cols[FIELDS.indexOf('frame.protocols')] ?? '';
    const layers = protos.split(':');
    const v4First = ip4 && (!ip6 || layers.indexOf('ip') < layers.indexOf('ipv6'));
    const v6First = ip6 && !v4First;
    let proto = '';
    if (v4First) proto = g('ip.proto');
    else if (v6First) {
      // The final next header of the outer chain: the last one set in chain order.
      for (const f of [
        'ipv6.nxt',
        'ipv6.hopopts.nxt',
        'ipv6.dstopts.nxt',
        'ipv6.routing.nxt',
        'ipv6.fraghdr.nxt',
      ] as Field[]) {
        if (g(f) !== '') proto = g(f);
      }
    }
    const tcpSport = g('tcp.srcport');
    const flags = g('tcp.flags');
    rows.push({
      frame: Number(cols[0]),
      protocols: protos,
      src: v4First ? g('ip.src') : v6First ? g('ipv6.src') : g('arp.src.proto_ipv4'),
      dst: v4First ? g('ip.dst') : v6First ? g('ipv6.dst') : g('arp.dst.proto_ipv4'),
      sport: tcpSport !== '' ? tcpSport : g('udp.srcport'),
      dport: tcpSport !== '' ? g('tcp.dstport') : g('udp.dstport'),
      proto,
      flags: flags === '' ? '' : String(parseInt(flags, 16) & 0x1ff),
    });
  }
  return rows;
}

async function ourViews(file: string): Promise<Ours[]> {
  const dec = new PacketDecoder();
  const p = new DecodedPacket();
  const rows: Ours[] = [];
  await readCapture(file, {
    onPacket: (rec) => {
      dec.decode(rec, p);
      // A header cut after the ports still has them (l4Off stays -1 then, the packet is malformed).
      const hasPorts = (p.ipProto === 6 || p.ipProto === 17) && (p.l4Off >= 0 || p.srcPort !== 0 || p.dstPort !== 0);
      rows.push({
        src: srcIp(p) ?? '',
        dst: dstIp(p) ?? '',
        sport: hasPorts ? String(p.srcPort) : '',
        dport: hasPorts ? String(p.dstPort) : '',
        proto: p.ipVersion ? String(p.ipProto) : '',
        flags: p.ipProto === 6 && p.l4Off >= 0 ? String(p.tcpFlags) : '',
        ipProto: p.ipProto,
        isFragment: p.isFragment,
        reassembled: p.reassembled,
        malformed: p.malformed,
        ipVersion: p.ipVersion,
        ipOptionFlags: p.ipOptionFlags,
      });
    },
  });
  return rows;
}

/**
 * What the real captures lack, synthesized: every link type, QinQ, SNAP, PPPoE, IPv4 options,
 * IPv6 extension headers, fragments out of order, truncated headers. One file per link type.
 */
function synthesizedCaptures(dir: string): string[] {
  const M = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
  const u4 = (sport: number) =>
    F.ipv4(
      { src: '192.0.2.1', dst: '198.51.100.7', proto: 17, fixL4Checksum: true },
      F.udp({ sport, dport: 53 }, Buffer.from('abcd')),
    );
  const t6 = (flags: number) =>
    F.ipv6(
      { src: '2001:db8::1', dst: '2001:db8:0:0:1::2', nextHeader: 6, fixL4Checksum: true },
      F.tcp({ sport: 40001, dport: 443, seq: 9, ack: 1, flags }),
    );
  const udpBig = F.udp({ sport: 7000, dport: 7001 }, Buffer.alloc(120, 0x41));
  const v4frag = (at: number, end: number, more: boolean) =>
    F.ethernet(
      { ...M, etherType: F.ETH.IPV4 },
      F.ipv4(
        { src: '10.1.1.1', dst: '10.2.2.2', proto: 17, id: 77, flags: more ? F.IPFLAG.MF : 0, fragOffset: at },
        udpBig.subarray(at, end),
      ),
    );
  const tcpBig = F.tcp({ sport: 5000, dport: 80, seq: 1, flags: F.TCPF.PSH | F.TCPF.ACK }, Buffer.alloc(100, 0x42));
  const v6frag = (at: number, end: number, more: boolean) =>
    F.ethernet(
      { ...M, etherType: F.ETH.IPV6, vlan: [42] },
      F.ipv6(
        {
          src: 'fe80::1',
          dst: 'ff02::1:3',
          nextHeader: 6,
          ext: [F.ipv6Options(0), F.ipv6Fragment({ offset: at, more, id: 5 })],
        },
        tcpBig.subarray(at, end),
      ),
    );
  const snapArp = Buffer.concat([
    Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06]),
    F.arp({ op: 2, senderMac: M.src, senderIp: '10.0.0.9', targetMac: M.dst, targetIp: '10.0.0.8' }),
  ]);
  const pppoe = Buffer.concat([Buffer.from([0x11, 0, 0, 1, 0, 0, 0, 0x21]), u4(6000)]);
  pppoe.writeUInt16BE(pppoe.length - 6, 4);
  const files: Array<[string, number, Buffer[]]> = [
    [
      'ethernet',
      1,
      [
        F.ethernet({ ...M, etherType: F.ETH.IPV4, vlan: [100, 200], vlanTpid: [0x88a8, 0x8100] }, u4(1000)),
        F.ethernet(
          { ...M, etherType: F.ETH.IPV4 },
          F.ipv4(
            { src: '10.0.0.1', dst: '10.0.0.2', proto: 6, options: F.lsrrOption(['10.0.0.3']) },
            F.tcp({ sport: 1, dport: 2, seq: 3, flags: F.TCPF.SYN | F.TCPF.NS }),
          ),
        ),
        F.ethernet(
          { ...M, etherType: F.ETH.IPV6 },
          F.ipv6(
            {
              src: '2001:db8::5',
              dst: '::ffff:10.0.0.1',
              nextHeader: 17,
              ext: [F.ipv6Options(0), F.ipv6Options(60, 14), F.ipv6Routing(['2001:db8::9'], 2)],
            },
            F.udp({ sport: 546, dport: 547 }),
          ),
        ),
        F.ethernet({ ...M, etherType: F.ETH.IPV6 }, t6(F.TCPF.FIN | F.TCPF.URG | F.TCPF.PSH | F.TCPF.ECE | F.TCPF.CWR)),
        v4frag(64, 128, false),
        v4frag(0, 64, true),
        v6frag(56, 120, false),
        v6frag(0, 56, true),
        F.ethernet(
          { ...M, etherType: F.ETH.ARP },
          F.arp({
            op: 1,
            senderMac: M.src,
            senderIp: '10.0.0.1',
            targetMac: '00:00:00:00:00:00',
            targetIp: '10.0.0.254',
          }),
        ),
        F.ethernet({ ...M, etherType: snapArp.length }, snapArp),
        F.ethernet({ ...M, etherType: 40 }, Buffer.concat([Buffer.from([0x42, 0x42, 0x03]), Buffer.alloc(37)])),
        F.ethernet({ ...M, etherType: 0x8864 }, pppoe),
        F.ethernet(
          { ...M, etherType: F.ETH.IPV4 },
          F.ipv4(
            { src: '10.0.0.1', dst: '10.0.0.2', proto: 1 },
            F.icmp({ type: 8, rest: 0x10001 }, Buffer.from('ping')),
          ),
        ),
        F.ethernet(
          { ...M, etherType: F.ETH.IPV6 },
          F.ipv6(
            { src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 58, fixL4Checksum: true },
            F.icmpv6({ type: 128 }),
          ),
        ),
        F.ethernet(
          { ...M, etherType: F.ETH.IPV4 },
          F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, totalLength: 24 }, Buffer.from([0x81, 0x58, 0, 0x35])),
        ),
      ],
    ],
    [
      'sll',
      113,
      [F.sll({ protocol: F.ETH.IPV4, addr: M.src }, u4(1001)), F.sll({ protocol: F.ETH.IPV6 }, t6(F.TCPF.SYN))],
    ],
    [
      'sll2',
      276,
      [F.sll2({ protocol: F.ETH.IPV4, addr: M.src }, u4(1002)), F.sll2({ protocol: F.ETH.IPV6 }, t6(F.TCPF.RST))],
    ],
    ['null', 0, [F.nullLink(2, u4(1003)), F.nullLink(30, t6(F.TCPF.SYN | F.TCPF.ACK))]],
    ['loop', 108, [F.nullLink(2, u4(1004), true), F.nullLink(24, t6(F.TCPF.ACK), true)]],
    ['raw', 101, [u4(1005), t6(F.TCPF.FIN)]],
    ['ipv4', 228, [u4(1006)]],
    ['ipv6', 229, [t6(F.TCPF.SYN)]],
  ];
  return files.map(([name, linkType, frames]) => {
    const f = path.join(dir, `synth-${name}.pcap`);
    writeFileSync(f, F.pcapFile(frames, { linkType }));
    return f;
  });
}

const hasTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
const synthDir = hasTshark ? mkdtempSync(path.join(os.tmpdir(), 'nw-tshark-')) : '';
const files = hasTshark ? [...listCaptures(), ...synthesizedCaptures(synthDir)] : [];
afterAll(() => {
  if (synthDir !== '') rmSync(synthDir, { recursive: true, force: true });
});

if (!hasTshark) {
  console.warn('tshark-agreement: tshark is not installed, skipping (CI installs it: apt-get install tshark)');
}

(hasTshark ? describe : describe.skip)('decoder agrees with tshark', () => {
  it('finds captures to compare', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(
    files.map((f) => [
      f.startsWith(os.tmpdir()) ? path.basename(f) : path.relative(path.resolve(__dirname, '../..'), f),
      f,
    ]),
  )('%s', async (_name, file) => {
    const theirs = tsharkViews(file);
    const ours = await ourViews(file);
    expect(ours.length).toBe(theirs.length);
    const unexplained: string[] = [];
    let agreedNonEmpty = 0;
    for (let i = 0; i < theirs.length; i++) {
      const t = theirs[i];
      const o = ours[i];
      for (const key of KEYS) {
        if (o[key] === t[key]) {
          if (o[key] !== '') agreedNonEmpty++;
          continue;
        }
        const d: Diff = { frame: t.frame, key, ours: o[key], theirs: t[key], protocols: t.protocols };
        if (EXPLAINED.some((e) => e.applies(d, o))) continue;
        unexplained.push(
          `frame ${d.frame} ${key}: ours=${JSON.stringify(d.ours)} tshark=${JSON.stringify(d.theirs)} [${d.protocols}] malformed=${o.malformed}`,
        );
      }
    }
    expect(unexplained.slice(0, 20)).toEqual([]);
    // Not vacuous: when tshark shows any address/port, we agree on some of them.
    const tsharkNonEmpty = theirs.reduce((n, t) => n + KEYS.filter((k) => t[k] !== '').length, 0);
    expect(agreedNonEmpty > 0).toBe(tsharkNonEmpty > 0);
  });
});
