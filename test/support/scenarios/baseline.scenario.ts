import { encodePcapHeader, encodePcapRecord } from '../../../src/engine/capture/pcap.writer';
import { TCPF } from '../frame-builder';
import { Timeline, arpFrame, host, icmpFrame, tcpFrame, udpFrame, type Host } from '../traffic';

/**
 * Synthetic traffic of one small office network (10.50.0.0/24) for the network-baseline tests:
 * ordinary traffic that repeats from capture to capture, and the additions each test looks for.
 */
export const NET = {
  gw: host('10.50.0.1', 0x01),
  server: host('10.50.0.20', 0x20),
  w1: host('10.50.0.10', 0x10),
  w2: host('10.50.0.11', 0x11),
  /** The host the detect capture adds. */
  newcomer: host('10.50.0.30', 0x30),
  /** A host that moves bulk data (volume tests). */
  mover: host('10.50.0.40', 0x40),
};

/** An internet address, reached through the gateway's MAC. */
export function external(ip: string): Host {
  return { ip, mac: NET.gw.mac, ttl: 52 };
}

let isn = 1000;

/** A whole TCP conversation: handshake, one request, one response, FIN both ways. */
export function tcpSession(
  tl: Timeline,
  at: number,
  c: Host,
  s: Host,
  cport: number,
  sport: number,
  reply = 600,
): void {
  const a = (isn += 100_000);
  const b = (isn += 100_000);
  const req = Buffer.alloc(120, 0x41);
  const res = Buffer.alloc(reply, 0x42);
  tl.add(at, tcpFrame(c, s, { sport: cport, dport: sport, seq: a, flags: TCPF.SYN }));
  tl.add(at + 0.001, tcpFrame(s, c, { sport, dport: cport, seq: b, ack: a + 1, flags: TCPF.SYN | TCPF.ACK }));
  tl.add(at + 0.002, tcpFrame(c, s, { sport: cport, dport: sport, seq: a + 1, ack: b + 1, flags: TCPF.ACK }));
  tl.add(
    at + 0.003,
    tcpFrame(c, s, { sport: cport, dport: sport, seq: a + 1, ack: b + 1, flags: TCPF.ACK | TCPF.PSH, payload: req }),
  );
  tl.add(
    at + 0.004,
    tcpFrame(s, c, {
      sport,
      dport: cport,
      seq: b + 1,
      ack: a + 1 + req.length,
      flags: TCPF.ACK | TCPF.PSH,
      payload: res,
    }),
  );
  const ca = a + 1 + req.length;
  const cb = b + 1 + res.length;
  tl.add(at + 0.005, tcpFrame(c, s, { sport: cport, dport: sport, seq: ca, ack: cb, flags: TCPF.ACK | TCPF.FIN }));
  tl.add(at + 0.006, tcpFrame(s, c, { sport, dport: cport, seq: cb, ack: ca + 1, flags: TCPF.ACK | TCPF.FIN }));
  tl.add(at + 0.007, tcpFrame(c, s, { sport: cport, dport: sport, seq: ca + 1, ack: cb + 1, flags: TCPF.ACK }));
}

/** A UDP request and its reply (DNS-like). */
export function udpExchange(tl: Timeline, at: number, c: Host, s: Host, cport: number, sport: number): void {
  tl.add(at, udpFrame(c, s, cport, sport, Buffer.alloc(40, 1)));
  tl.add(at + 0.002, udpFrame(s, c, sport, cport, Buffer.alloc(80, 2)));
}

/** A few minutes of the office's everyday traffic starting at `at`. */
export function ordinaryTraffic(tl: Timeline, at: number): void {
  const { gw, server, w1, w2 } = NET;
  tl.add(at, arpFrame(1, w1, w1.ip, gw.ip, '00:00:00:00:00:00'));
  tl.add(at + 0.001, arpFrame(2, gw, gw.ip, w1.ip, w1.mac));
  for (let i = 0; i < 5; i++) {
    const t = at + 10 * i;
    udpExchange(tl, t + 1, w1, server, 40_000 + i, 53);
    tcpSession(tl, t + 2, w1, server, 50_000 + i, 80);
    tcpSession(tl, t + 3, w2, server, 51_000 + i, 80);
    tcpSession(tl, t + 4, w1, external('93.184.216.34'), 52_000 + i, 443, 1400);
    tl.add(t + 5, icmpFrame(w2, gw, 8, 0, (7 << 16) | i));
    tl.add(t + 5.001, icmpFrame(gw, w2, 0, 0, (7 << 16) | i));
  }
}

/** Learn capture: ordinary traffic. Detect capture: the same, one day later, plus a new host and a new service. */
export function addedHostAndService(): { learn: Timeline; detect: Timeline } {
  const start = 1_767_225_600; // 2026-01-01T00:00:00Z
  const learn = new Timeline(start);
  ordinaryTraffic(learn, 0);
  const detect = new Timeline(start + 86_400);
  ordinaryTraffic(detect, 0);
  // The newcomer browses the intranet server; the server answers on SSH for the first time.
  tcpSession(detect, 60, NET.newcomer, NET.server, 53_000, 80);
  tcpSession(detect, 61, NET.w1, NET.server, 53_001, 22);
  return { learn, detect };
}

/** Classic pcap of a timeline (microsecond timestamps, Ethernet). */
export function timelinePcap(tl: Timeline): Buffer {
  const parts = [encodePcapHeader({ linkType: 1 })];
  for (const f of tl.frames) {
    const sec = Math.floor(f.time);
    const nsec = Math.round((f.time - sec) * 1e6) * 1000;
    parts.push(encodePcapRecord({ tsSec: sec, tsNsec: nsec, data: f.data }, false));
  }
  return Buffer.concat(parts);
}
