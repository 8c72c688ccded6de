import { resolveConfig, type EngineConfig } from '../../src/engine/config';
import type { Detector } from '../../src/engine/detectors/detector';
import { createDetectors } from '../../src/engine/detectors/registry';
import type { Finding } from '../../src/engine/finding';
import { Pipeline } from '../../src/engine/pipeline';
import { ETH, IPPROTO, TCPF, arp, ethernet, icmp, ipv4, tcp, toRecord, udp } from './frame-builder';

/**
 * Synthetic traffic for detector tests: hosts, TCP/UDP/ICMP/ARP frames between them, and a
 * pipeline run over timed frames. Built from first principles (RFC 9293 replies), so what a test
 * expects follows from how the frames were made, not from the detector under test.
 */
export interface Host {
  ip: string;
  mac: string;
  ttl?: number;
}

export function host(ip: string, macByte: number, ttl = 64): Host {
  const b = macByte.toString(16).padStart(2, '0');
  const c = ((macByte >> 8) & 255).toString(16).padStart(2, '0');
  return { ip, mac: `02:00:00:00:${c}:${b}`, ttl };
}

export interface Seg {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  payload?: Buffer;
  ttl?: number;
  mac?: string;
  options?: Buffer;
}

export function tcpFrame(from: Host, to: Host, s: Seg): Buffer {
  return ethernet(
    { src: s.mac ?? from.mac, dst: to.mac, etherType: ETH.IPV4 },
    ipv4(
      { src: from.ip, dst: to.ip, proto: IPPROTO.TCP, ttl: s.ttl ?? from.ttl ?? 64, fixL4Checksum: true },
      tcp(
        {
          sport: s.sport,
          dport: s.dport,
          seq: s.seq >>> 0,
          ack: (s.ack ?? 0) >>> 0,
          flags: s.flags,
          window: s.window,
          options: s.options,
        },
        s.payload,
      ),
    ),
  );
}

export function udpFrame(
  from: Host,
  to: Host,
  sport: number,
  dport: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  return ethernet(
    { src: from.mac, dst: to.mac, etherType: ETH.IPV4 },
    ipv4(
      { src: from.ip, dst: to.ip, proto: IPPROTO.UDP, ttl: from.ttl ?? 64, fixL4Checksum: true },
      udp({ sport, dport }, payload),
    ),
  );
}

export function icmpFrame(from: Host, to: Host, type: number, code = 0, rest = 0, payload?: Buffer): Buffer {
  return ethernet(
    { src: from.mac, dst: to.mac, etherType: ETH.IPV4 },
    ipv4({ src: from.ip, dst: to.ip, proto: IPPROTO.ICMP, ttl: from.ttl ?? 64 }, icmp({ type, code, rest }, payload)),
  );
}

export function arpFrame(op: 1 | 2, from: Host, senderIp: string, targetIp: string, targetMac: string): Buffer {
  return ethernet(
    { src: from.mac, dst: op === 1 ? 'ff:ff:ff:ff:ff:ff' : targetMac, etherType: ETH.ARP },
    arp({ op, senderMac: from.mac, senderIp, targetMac: op === 1 ? '00:00:00:00:00:00' : targetMac, targetIp }),
  );
}

/** A timed frame list: `at` is seconds after the scenario's start. */
export class Timeline {
  readonly frames: Array<{ data: Buffer; time: number }> = [];
  constructor(readonly start = 1_767_225_600) {}
  add(at: number, data: Buffer): number {
    this.frames.push({ data, time: this.start + at });
    return this.frames.length;
  }
}

export interface RunResult {
  findings: Finding[];
  detectors: Detector[];
  pipeline: Pipeline;
}

/** Runs the frames through a Pipeline with the given registered detectors (all by default). */
export function run(t: Timeline, only?: string[], config: EngineConfig = resolveConfig()): RunResult {
  const detectors = createDetectors(config, only);
  const pipeline = new Pipeline({ captureId: 'synthetic', detectors, config });
  t.frames.forEach((f, i) => pipeline.push(toRecord(f.data, { time: f.time, frame: i + 1 })));
  pipeline.finish();
  return { findings: pipeline.findings(), detectors, pipeline };
}

/**
 * A well-formed TCP conversation on a Timeline: handshake, data segments with correct
 * sequence/ack numbers (each acknowledged by the peer), FIN close, frames `gap` seconds apart
 * from `at`. `c()`/`s()` return the data frame's number, for evidence assertions; `at` is then
 * the packet time of the last frame (s after the timeline start).
 */
export class TcpConversation {
  private cseq = 1000;
  private sseq = 7000;
  constructor(
    private readonly t: Timeline,
    readonly client: Host,
    readonly server: Host,
    readonly sport: number,
    readonly dport: number,
    public at = 0,
    private readonly gap = 0.01,
  ) {}

  private add(fromClient: boolean, flags: number, payload?: Buffer): number {
    this.at += this.gap;
    const n = this.t.add(
      this.at,
      tcpFrame(fromClient ? this.client : this.server, fromClient ? this.server : this.client, {
        sport: fromClient ? this.sport : this.dport,
        dport: fromClient ? this.dport : this.sport,
        seq: fromClient ? this.cseq : this.sseq,
        ack: flags & TCPF.ACK ? (fromClient ? this.sseq : this.cseq) : 0,
        flags,
        payload,
      }),
    );
    const len = (payload?.length ?? 0) + (flags & (TCPF.SYN | TCPF.FIN) ? 1 : 0);
    if (fromClient) this.cseq += len;
    else this.sseq += len;
    return n;
  }

  open(): this {
    this.add(true, TCPF.SYN);
    this.add(false, TCPF.SYN | TCPF.ACK);
    this.add(true, TCPF.ACK);
    return this;
  }

  c(data: string | Buffer): number {
    const n = this.add(true, TCPF.PSH | TCPF.ACK, typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
    this.add(false, TCPF.ACK);
    return n;
  }

  s(data: string | Buffer): number {
    const n = this.add(false, TCPF.PSH | TCPF.ACK, typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
    this.add(true, TCPF.ACK);
    return n;
  }

  close(): this {
    this.add(true, TCPF.FIN | TCPF.ACK);
    this.add(false, TCPF.FIN | TCPF.ACK);
    this.add(true, TCPF.ACK);
    return this;
  }
}

/** A UDP exchange on a Timeline; returns the frame number. */
export function udpAt(
  t: Timeline,
  at: number,
  from: Host,
  to: Host,
  sport: number,
  dport: number,
  payload: Buffer,
): number {
  return t.add(at, udpFrame(from, to, sport, dport, payload));
}

/** The Timeline as a classic pcap (Ethernet), e.g. for tshark. */
export function timelinePcap(t: Timeline): Buffer {
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16);
  gh.writeUInt32LE(1, 20);
  parts.push(gh);
  for (const f of t.frames) {
    const rh = Buffer.alloc(16);
    const sec = Math.floor(f.time);
    rh.writeUInt32LE(sec, 0);
    rh.writeUInt32LE(Math.round((f.time - sec) * 1e6), 4);
    rh.writeUInt32LE(f.data.length, 8);
    rh.writeUInt32LE(f.data.length, 12);
    parts.push(rh, f.data);
  }
  return Buffer.concat(parts);
}
