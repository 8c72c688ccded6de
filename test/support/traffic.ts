import { resolveConfig, type EngineConfig } from '../../src/engine/config';
import type { Detector } from '../../src/engine/detectors/detector';
import { createDetectors } from '../../src/engine/detectors/registry';
import type { Finding } from '../../src/engine/finding';
import { Pipeline } from '../../src/engine/pipeline';
import { ETH, IPPROTO, arp, ethernet, icmp, ipv4, tcp, toRecord, udp } from './frame-builder';

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

export function udpFrame(from: Host, to: Host, sport: number, dport: number, payload = Buffer.alloc(0)): Buffer {
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
