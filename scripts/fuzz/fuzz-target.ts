import { CaptureError } from '../../src/engine/capture/capture-error';
import { CaptureParser } from '../../src/engine/capture/capture-parser';
import type { PacketRecord } from '../../src/engine/capture/packet-record';
import type { BaselineModel } from '../../src/engine/baseline/baseline-model';
import { baselineSession, type BaselineMode } from '../../src/engine/baseline/baseline-session';
import type { EngineConfig } from '../../src/engine/config';
import type { Detector } from '../../src/engine/detectors/detector';
import { createDetectors } from '../../src/engine/detectors/registry';
import type { Finding } from '../../src/engine/finding';
import type { IndicatorIndex } from '../../src/engine/intel/indicator-index';
import { Pipeline, type PipelineOptions, type PipelineState } from '../../src/engine/pipeline';
import { ChunkingMismatch } from './fuzz-errors';

/**
 * One fuzz case: capture bytes through reader → decode → reassembly → every parser → every
 * detector → finish(), twice — once in a single pass, once cut at a packet boundary with the
 * state carried through JSON (what a chunk on another worker gets) — and the two must agree.
 * Anything thrown but a CaptureError escapes to the caller: that is the crash oracle.
 */
export interface FuzzEngine {
  config: EngineConfig;
  /** The same with every cap tiny (see fuzz-engine.ts), for cases with `tightCaps`. */
  tightConfig: EngineConfig;
  intel: IndicatorIndex;
  baseline: BaselineModel;
  /** Detectors added to the registry's (tests of the oracles plant faulty ones here). */
  extraDetectors?: () => Detector[];
}

export interface FuzzCase {
  bytes: Buffer;
  /** Frame after which the second pass is cut (modulo the packets read + 1). */
  cutAt: number;
  /** Sizes the bytes are handed to the reader in (cycled): exercises units straddling pieces. */
  pieceSize: number;
  baselineMode: BaselineMode;
  /** Run on the engine's tight-caps configuration. */
  tightCaps?: boolean;
}

export interface FuzzOutcome {
  packets: number;
  findings: number;
  captureError: CaptureError | null;
  /** What the case reached: `parser:<protocol>` for each parser that got data, `detector:<id>` for each that reported. */
  reached: string[];
}

interface Pass {
  findings: Finding[];
  learned: BaselineModel | null;
  packets: number;
  captureError: CaptureError | null;
  parsers: string[];
}

export function runFuzzCase(engine: FuzzEngine, c: FuzzCase): FuzzOutcome {
  const whole = runPass(engine, c, Number.POSITIVE_INFINITY);
  // Any frame of the capture, the very start and end included.
  const cut = Math.max(0, c.cutAt) % (whole.packets + 1);
  const chunked = runPass(engine, c, cut);
  const a = JSON.stringify({ f: whole.findings, l: whole.learned });
  const b = JSON.stringify({ f: chunked.findings, l: chunked.learned });
  if (a !== b) {
    const { text, differsIn } = firstDifference(whole.findings, chunked.findings);
    throw new ChunkingMismatch(`findings differ when cut after frame ${cut} of ${whole.packets}: ${text}`, differsIn);
  }
  const reached = [
    ...whole.parsers.map((p) => `parser:${p}`),
    ...new Set(whole.findings.map((f) => `detector:${f.detector}`)),
  ];
  return { packets: whole.packets, findings: whole.findings.length, captureError: whole.captureError, reached };
}

function runPass(engine: FuzzEngine, c: FuzzCase, cutAt: number): Pass {
  const session = baselineSession(c.baselineMode, engine.baseline);
  const config = c.tightCaps === true ? engine.tightConfig : engine.config;
  const make = (): Pipeline => {
    const opts: PipelineOptions = {
      captureId: 'fuzz',
      // Contained exceptions would be counted and hidden: every one must surface here.
      containErrors: false,
      config,
      protocols: 'all',
      detectors: [
        ...createDetectors(config, undefined, { intel: engine.intel, baseline: session }),
        ...(engine.extraDetectors?.() ?? []),
      ],
    };
    return new Pipeline(opts);
  };
  let pipeline = make();
  let packets = 0;
  const carryOver = (): void => {
    const state = JSON.parse(JSON.stringify(pipeline.snapshot())) as PipelineState;
    pipeline = make();
    pipeline.restore(state);
  };
  const onPacket = (rec: PacketRecord): void => {
    if (packets === cutAt) carryOver();
    packets++;
    pipeline.push(rec);
  };
  const parser = new CaptureParser({ source: 'fuzz', onPacket });
  let captureError: CaptureError | null = null;
  try {
    const step = Math.max(1, c.pieceSize);
    for (let at = 0; at < c.bytes.length; at += step) parser.write(c.bytes.subarray(at, at + step));
    parser.end();
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    captureError = e;
  }
  // A cut after the last packet: the next chunk holds no packet, only the end of the capture.
  if (packets === cutAt) carryOver();
  pipeline.finish();
  return {
    findings: pipeline.findings(),
    learned: session.learned,
    packets,
    captureError,
    parsers: parsersReached(pipeline),
  };
}

function parsersReached(p: Pipeline): string[] {
  const s = p.protocolStats();
  if (s === null) return [];
  const out = Object.keys(s.connections).filter((k) => s.connections[k] > 0);
  if (s.dnsUdp > 0) out.push('dns');
  if ((s.snmpUdp ?? 0) > 0) out.push('snmp');
  if ((s.tftpUdp ?? 0) > 0) out.push('tftp');
  return [...new Set(out)];
}

function firstDifference(a: Finding[], b: Finding[]): { text: string; differsIn: string } {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = JSON.stringify(a[i] ?? null);
    const y = JSON.stringify(b[i] ?? null);
    if (x !== y) {
      const f = a[i] ?? b[i];
      return {
        text: `#${i}: single pass ${x.slice(0, 300)} vs cut ${y.slice(0, 300)}`,
        differsIn: `${f.detector} ${f.type}`,
      };
    }
  }
  return { text: 'learned baselines differ', differsIn: 'learned baseline' };
}
