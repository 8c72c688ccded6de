import fc from 'fast-check';
import * as F from '../../test/support/frame-builder';
import { appConversation, type AppConversation } from './app-payloads';
import { FUZZ_HOSTS } from './fuzz-hosts';

/**
 * Layer 3 and 4 for the fuzzer: TCP sessions carrying an application conversation (handshake or
 * not, sequence numbers near the 2^32 wrap, segments cut at random sizes, retransmitted,
 * overlapping with other bytes, lost, reordered; FIN, RST or nothing at the end), UDP
 * conversations, ICMP errors quoting packets, ARP, raw IPv4/IPv6 with options and extension
 * headers, and fragments (overlapping, duplicated, out of order) of any of them.
 */
export interface L3Packet {
  etherType: number;
  data: Buffer;
  srcMac: string;
  dstMac: string;
  /** Seconds after the previous packet (negative: the capture's clock stepped back). */
  dt: number;
  /** Addresses of an IP packet (to fragment it). */
  ip?: { src: string; dst: string };
}

interface Endpoints {
  v6: boolean;
  client: string;
  server: string;
  clientMac: string;
  serverMac: string;
  sport: number;
}

const endpoints: fc.Arbitrary<Endpoints> = fc
  .tuple(
    fc.boolean(),
    fc.nat(),
    fc.nat(),
    fc.constantFrom(...FUZZ_HOSTS.macs),
    fc.constantFrom(...FUZZ_HOSTS.macs),
    fc.oneof(fc.integer({ min: 1024, max: 65535 }), fc.constantFrom(0, 53, 1023)),
  )
  .map(([v6, a, b, clientMac, serverMac, sport]) => {
    const list = v6 ? FUZZ_HOSTS.v6 : FUZZ_HOSTS.v4;
    return { v6, client: list[a % list.length], server: list[b % list.length], clientMac, serverMac, sport };
  });

const dt = fc.oneof(
  { weight: 20, arbitrary: fc.double({ min: 0, max: 0.05, noNaN: true }) },
  fc.constantFrom(0, 1, 31, 301, 3601, -0.5, -3600),
);

const tcpOptions = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  fc.constant(Buffer.from([2, 4, 5, 180, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0])),
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
);

function ipPacket(e: Endpoints, toServer: boolean, proto: number, l4: Buffer, ttl = 64, ipOptions?: Buffer): L3Packet {
  const src = toServer ? e.client : e.server;
  const dst = toServer ? e.server : e.client;
  const data = e.v6
    ? F.ipv6({ src, dst, nextHeader: proto, hopLimit: ttl, fixL4Checksum: true }, l4)
    : F.ipv4({ src, dst, proto, ttl, options: ipOptions, fixL4Checksum: true }, l4);
  return {
    etherType: e.v6 ? F.ETH.IPV6 : F.ETH.IPV4,
    data,
    srcMac: toServer ? e.clientMac : e.serverMac,
    dstMac: toServer ? e.serverMac : e.clientMac,
    dt: 0,
  };
}

/** What happens to one segment on the wire. */
type SegmentFate = 'sent' | 'retransmit' | 'overlap' | 'lost' | 'reorder';
const fate: fc.Arbitrary<SegmentFate> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('sent' as const) },
  fc.constantFrom('retransmit' as const, 'overlap' as const, 'lost' as const, 'reorder' as const),
);

const tcpSession = fc
  .record({
    e: endpoints,
    conv: appConversation.filter((c) => c.transport === 'tcp'),
    handshake: fc.boolean(),
    isnC: fc.oneof(fc.nat(0xffffffff), fc.integer({ min: 0xffffff00, max: 0xffffffff })),
    isnS: fc.oneof(fc.nat(0xffffffff), fc.integer({ min: 0xffffff00, max: 0xffffffff })),
    window: fc.oneof(fc.constant(65535), fc.nat(0xffff)),
    options: tcpOptions,
    segmentSizes: fc.array(fc.integer({ min: 1, max: 1460 }), { minLength: 1, maxLength: 4 }),
    fates: fc.array(fate, { minLength: 1, maxLength: 8 }),
    close: fc.constantFrom('fin', 'rst', 'none', 'rst-with-data'),
    oddFlags: fc.option(fc.nat(0x1ff), { freq: 8 }),
    times: fc.array(dt, { minLength: 1, maxLength: 6 }),
    ttlChange: fc.option(fc.nat(255), { freq: 10 }),
  })
  .map((p) => {
    const out: L3Packet[] = [];
    const seq = { c: p.isnC, s: p.isnS };
    const serverPort = p.conv.port;
    let n = 0;
    const seg = (toServer: boolean, flags: number, payload: Buffer, seqOverride?: number) => {
      const from = toServer ? 'c' : 's';
      const to = toServer ? 's' : 'c';
      const s = seqOverride ?? seq[from];
      const l4 = F.tcp(
        {
          sport: toServer ? p.e.sport : serverPort,
          dport: toServer ? serverPort : p.e.sport,
          seq: s >>> 0,
          ack: seq[to] >>> 0,
          flags: p.oddFlags !== null && n % 7 === 3 ? p.oddFlags : flags,
          window: p.window,
          options: flags & F.TCPF.SYN ? p.options : undefined,
        },
        payload,
      );
      const ttl = p.ttlChange !== null && n > 3 && toServer ? p.ttlChange : 64;
      const pkt = ipPacket(p.e, toServer, 6, l4, ttl);
      pkt.dt = p.times[n++ % p.times.length];
      out.push(pkt);
    };
    if (p.handshake) {
      seg(true, F.TCPF.SYN, Buffer.alloc(0));
      seq.c = (seq.c + 1) >>> 0;
      seg(false, F.TCPF.SYN | F.TCPF.ACK, Buffer.alloc(0));
      seq.s = (seq.s + 1) >>> 0;
      seg(true, F.TCPF.ACK, Buffer.alloc(0));
    }
    let k = 0;
    for (const m of p.conv.messages) {
      const dir = m.toServer ? 'c' : 's';
      let at = 0;
      let held: (() => void) | null = null;
      while (at < m.data.length) {
        const size = p.segmentSizes[k % p.segmentSizes.length];
        const f = p.fates[k++ % p.fates.length];
        const piece = m.data.subarray(at, at + size);
        const s0 = seq[dir];
        const send = () => seg(m.toServer, F.TCPF.PSH | F.TCPF.ACK, piece, s0);
        if (f === 'lost') {
          // not on the wire
        } else if (f === 'reorder' && held === null) held = send;
        else {
          send();
          if (f === 'retransmit') send();
          if (f === 'overlap')
            seg(m.toServer, F.TCPF.PSH | F.TCPF.ACK, Buffer.alloc(piece.length + 3, 0x58), (s0 + 1) >>> 0);
          if (held !== null) {
            held();
            held = null;
          }
        }
        seq[dir] = (s0 + piece.length) >>> 0;
        at += piece.length;
      }
      if (held !== null) (held as () => void)();
    }
    if (p.close === 'fin') {
      seg(true, F.TCPF.FIN | F.TCPF.ACK, Buffer.alloc(0));
      seq.c = (seq.c + 1) >>> 0;
      seg(false, F.TCPF.FIN | F.TCPF.ACK, Buffer.alloc(0));
      seq.s = (seq.s + 1) >>> 0;
      seg(true, F.TCPF.ACK, Buffer.alloc(0));
    } else if (p.close === 'rst') seg(false, F.TCPF.RST, Buffer.alloc(0));
    else if (p.close === 'rst-with-data') seg(false, F.TCPF.RST | F.TCPF.ACK, Buffer.from('bye'));
    return out;
  });

const udpConversation = fc
  .tuple(
    endpoints,
    appConversation.filter((c: AppConversation) => c.transport === 'udp'),
    fc.array(dt, { minLength: 1, maxLength: 3 }),
  )
  .map(([e, conv, times]) =>
    conv.messages.map((m, i) => {
      const l4 = F.udp({ sport: m.toServer ? e.sport : conv.port, dport: m.toServer ? conv.port : e.sport }, m.data);
      const pkt = ipPacket(e, m.toServer, 17, l4);
      pkt.dt = times[i % times.length];
      return pkt;
    }),
  );

/** ICMP errors quoting (part of) a packet the other side supposedly sent. */
const icmpError = fc
  .tuple(
    endpoints,
    fc.constantFrom(3, 4, 5, 11, 12),
    fc.nat(15),
    fc.integer({ min: 0, max: 60 }),
    fc.integer({ min: 1, max: 65535 }),
  )
  .map(([e, type, code, quoteLen, port]) => {
    const quoted = e.v6
      ? F.ipv6(
          { src: e.server, dst: e.client, nextHeader: 17 },
          F.udp({ sport: e.sport, dport: port }, Buffer.alloc(8)),
        )
      : F.ipv4(
          { src: e.server, dst: e.client, proto: 6 },
          F.tcp({ sport: e.sport, dport: port, seq: 1, flags: F.TCPF.SYN }),
        );
    const q = quoted.subarray(0, Math.min(quoted.length, 20 + quoteLen));
    const l4 = e.v6 ? F.icmpv6({ type: [1, 2, 3, 4][type % 4], code }, q) : F.icmp({ type, code }, q);
    return [ipPacket(e, false, e.v6 ? 58 : 1, l4)];
  });

const arpPacket = fc
  .tuple(
    fc.constantFrom(1, 2, 3, 0xffff),
    fc.constantFrom(...FUZZ_HOSTS.macs),
    fc.constantFrom(...FUZZ_HOSTS.macs),
    fc.constantFrom(...FUZZ_HOSTS.v4),
    fc.constantFrom(...FUZZ_HOSTS.v4),
    fc.nat(3),
  )
  .map(([op, sm, tm, sip, tip, repeat]) => {
    const data = F.arp({ op, senderMac: sm, senderIp: sip, targetMac: tm, targetIp: tip });
    return Array.from({ length: 1 + repeat }, () => ({
      etherType: F.ETH.ARP,
      data,
      srcMac: sm,
      dstMac: tm,
      dt: 0.001,
    }));
  });

const rawIp = fc
  .tuple(
    endpoints,
    fc.nat(255),
    fc.uint8Array({ maxLength: 120 }),
    fc.option(fc.uint8Array({ maxLength: 40 }), { freq: 3 }),
    fc.array(fc.constantFrom(0, 43, 60, 51), { maxLength: 4 }),
    fc.nat(255),
  )
  .map(([e, proto, payload, options, exts, ttl]) => {
    const body = Buffer.from(payload);
    if (!e.v6) return [ipPacket(e, true, proto, body, ttl, options === null ? undefined : Buffer.from(options))];
    const ext = exts.map((t) =>
      t === 43
        ? F.ipv6Routing([e.server])
        : t === 51
          ? { type: 51, body: Buffer.alloc(6) }
          : F.ipv6Options(t as 0 | 60, 6),
    );
    const data = F.ipv6({ src: e.client, dst: e.server, nextHeader: proto, hopLimit: ttl, ext }, body);
    return [
      {
        etherType: F.ETH.IPV6,
        data,
        srcMac: e.clientMac,
        dstMac: e.serverMac,
        dt: 0,
        ip: { src: e.client, dst: e.server },
      },
    ];
  });

/** A burst of SYNs (a flood to one port, or a sweep over ports), some answered, some reset. */
const synBurst = fc
  .tuple(endpoints, fc.integer({ min: 20, max: 300 }), fc.boolean(), fc.boolean(), fc.constantFrom(0, 0.5, 1))
  .map(([e, n, sweep, spoofed, answered]) => {
    const out: L3Packet[] = [];
    for (let i = 0; i < n; i++) {
      const sport = spoofed ? 1024 + ((i * 7919) % 60000) : e.sport;
      const dport = sweep ? 1 + i : 80;
      const syn = ipPacket(e, true, 6, F.tcp({ sport, dport, seq: i * 1000, flags: F.TCPF.SYN }));
      syn.dt = 0.002;
      out.push(syn);
      if (i % 2 < answered * 2) {
        const flags = sweep && i % 3 === 0 ? F.TCPF.RST | F.TCPF.ACK : F.TCPF.SYN | F.TCPF.ACK;
        out.push(ipPacket(e, false, 6, F.tcp({ sport: dport, dport: sport, seq: 7, ack: i * 1000 + 1, flags })));
      }
    }
    return out;
  });

/** Cuts an IP packet into fragments: cut points, overlaps, a duplicate, shuffled order. */
function fragment(pkt: L3Packet, cuts: number[], overlap: boolean, shuffle: number): L3Packet[] {
  const v6 = pkt.etherType === F.ETH.IPV6;
  if (pkt.ip === undefined) return [pkt];
  const { src, dst } = pkt.ip;
  const hl = v6 ? 40 : (pkt.data[0] & 0x0f) * 4;
  const payload = pkt.data.subarray(hl);
  const points = [...new Set(cuts.map((c) => (c * 8) % Math.max(8, payload.length)).filter((c) => c > 0))].sort(
    (a, b) => a - b,
  );
  if (points.length === 0) return [pkt];
  const bounds = [0, ...points, payload.length];
  const proto = v6 ? pkt.data[6] : pkt.data[9];
  const id = 0x4242 + cuts.length;
  const frags: L3Packet[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const from = Math.max(0, bounds[i] - (overlap && i > 0 ? 8 : 0));
    const more = i + 2 < bounds.length;
    const chunk = payload.subarray(from, bounds[i + 1]);
    const data = v6
      ? F.ipv6({ src, dst, nextHeader: proto, ext: [F.ipv6Fragment({ offset: from, more, id })] }, chunk)
      : F.ipv4({ src, dst, proto, id, flags: more ? F.IPFLAG.MF : 0, fragOffset: from }, chunk);
    frags.push({ ...pkt, data, dt: 0.0001 });
  }
  if (overlap) frags.push(frags[0]);
  for (let i = 0; i < shuffle % frags.length; i++) frags.push(frags.shift()!);
  return frags;
}

const element = fc.oneof(
  { weight: 6, arbitrary: tcpSession },
  { weight: 3, arbitrary: udpConversation },
  icmpError,
  arpPacket,
  rawIp,
  synBurst,
);

/** Conversations interleaved as they happen on a network; some packets fragmented. */
export const traffic: fc.Arbitrary<L3Packet[]> = fc
  .tuple(
    fc.array(element, { minLength: 1, maxLength: 5 }),
    fc.array(fc.nat(3), { minLength: 1, maxLength: 8 }),
    fc.option(fc.tuple(fc.nat(), fc.array(fc.nat(200), { minLength: 1, maxLength: 4 }), fc.boolean(), fc.nat(5)), {
      freq: 4,
    }),
  )
  .map(([flows, picks, frag]) => {
    let queues = flows.map((f) => [...f]).filter((q) => q.length > 0);
    const out: L3Packet[] = [];
    for (let i = 0; queues.length > 0; i++) {
      const q = queues[picks[i % picks.length] % queues.length];
      out.push(q.shift()!);
      if (q.length === 0) queues = queues.filter((x) => x !== q);
    }
    if (frag !== null && out.length) {
      const [which, cuts, overlap, shuffle] = frag;
      const at = which % out.length;
      out.splice(at, 1, ...fragment(out[at], cuts, overlap, shuffle));
    }
    return out;
  });
