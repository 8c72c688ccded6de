import { CaptureError } from '../../src/engine/capture/capture-error';
import { describe, HeapExceeded, signature, SlowCase } from './fuzz-errors';
import { generatedCases } from './generated-cases';
import { mutationCase } from './mutation-case';
import { caseSeed } from './prng';
import { knownDefect } from './known-defects';
import { minimiseCapture } from './minimise-capture';
import { runFuzzCase, type FuzzCase, type FuzzEngine, type FuzzOutcome } from './fuzz-target';
import type { SeedCapture } from './seed-corpus';

/**
 * A fuzz run: `cases` cases from one seed, half byte-level mutations of the real captures,
 * half structure-aware generated captures (fast-check), each through runFuzzCase. Oracles: no
 * exception but a CaptureError, the same findings when cut and carried through JSON, at most
 * `caseCpuMs` of CPU per case (CPU, not wall time: a loaded machine must not fail it), and heap
 * in use at most `heapLimitMb` whenever sampled.
 */
export interface CampaignOptions {
  seed: number;
  cases: number;
  engine: FuzzEngine;
  seeds: readonly SeedCapture[];
  /** Share of mutation cases (default 0.5). */
  mutationShare?: number;
  caseCpuMs?: number;
  heapLimitMb?: number;
  /** Re-run this one mutation case only (its index in the run). */
  only?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CaseFailure {
  kind: 'exception' | 'slow' | 'heap';
  label: string;
  message: string;
  /** Cases that failed the same way (same error, same place). */
  count: number;
  /** The capture that failed (mutated, or generated and shrunk by fast-check). */
  bytes: Buffer | null;
  reproduce: string;
}

export interface CampaignReport {
  seed: number;
  cases: number;
  mutated: number;
  generated: number;
  packets: number;
  findings: number;
  captureErrors: number;
  seconds: number;
  heapMaxMb: number;
  slowest: Array<{ label: string; cpuMs: number }>;
  failures: CaseFailure[];
  /** Cases that reached each parser (`parser:<name>`) and in which each detector reported (`detector:<id>`). */
  reached: Record<string, number>;
  /** Known, already-reported defects hit (see known-defects.ts): cases per id, and one capture each. */
  known: Record<string, { cases: number; where: string; bytes: Buffer }>;
}

export const DEFAULT_CASE_CPU_MS = 2000;
export const DEFAULT_HEAP_LIMIT_MB = 512;
const HEAP_SAMPLE_EVERY = 100;
const MAX_FAILURES = 20;

export function runCampaign(o: CampaignOptions): CampaignReport {
  const started = Date.now();
  const cpuLimit = o.caseCpuMs ?? DEFAULT_CASE_CPU_MS;
  const heapLimit = (o.heapLimitMb ?? DEFAULT_HEAP_LIMIT_MB) * 1024 * 1024;
  const mutated = o.only !== undefined ? 1 : Math.round(o.cases * (o.mutationShare ?? 0.5));
  const generated = o.only !== undefined ? 0 : o.cases - mutated;
  const report: CampaignReport = {
    seed: o.seed,
    cases: 0,
    mutated,
    generated,
    packets: 0,
    findings: 0,
    captureErrors: 0,
    seconds: 0,
    heapMaxMb: 0,
    slowest: [],
    failures: [],
    reached: {},
    known: {},
  };
  const reproduceBase = `FUZZ_SEED=${o.seed} FUZZ_CASES=${o.cases} npm run fuzz`;

  /** One case through every oracle; a known defect is counted, anything else thrown to the caller. */
  const runChecked = (label: string, c: FuzzCase): void => {
    const cpu = process.cpuUsage();
    let out: FuzzOutcome;
    try {
      out = runFuzzCase(o.engine, c);
    } catch (e) {
      const known = knownDefect(e);
      if (known === undefined) throw e;
      const k = (report.known[known.id] ??= { cases: 0, where: known.where, bytes: c.bytes });
      k.cases++;
      report.cases++;
      return;
    }
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    noteSlow(report, label, cpuMs);
    report.cases++;
    report.packets += out.packets;
    report.findings += out.findings;
    if (out.captureError !== null) report.captureErrors++;
    for (const r of out.reached) report.reached[r] = (report.reached[r] ?? 0) + 1;
    if (cpuMs > cpuLimit) {
      throw new SlowCase(`${cpuMs.toFixed(0)} ms of CPU, more than the ${cpuLimit} ms a case may take`);
    }
    if (report.cases % HEAP_SAMPLE_EVERY === 0) {
      const heap = process.memoryUsage().heapUsed;
      report.heapMaxMb = Math.max(report.heapMaxMb, heap / 1048576);
      if (heap > heapLimit)
        throw new HeapExceeded(`heap in use ${(heap / 1048576).toFixed(0)} MB after ${report.cases} cases`);
    }
    o.onProgress?.(report.cases, mutated + generated);
  };

  /** Records a failure once per signature, its capture minimised while it fails the same way. */
  const fail = (f: Omit<CaseFailure, 'count'>, error: unknown, c: FuzzCase): void => {
    if (f.kind === 'exception') report.cases++; // it ran too (slow and heap failures were counted already)
    const sig = signature(error);
    const same = report.failures.find((x) => x.message.startsWith(sig));
    if (same !== undefined) {
      same.count++;
      return;
    }
    const bytes =
      f.kind === 'exception' && f.bytes !== null
        ? minimiseCapture(f.bytes, (b) => failsWith(o.engine, { ...c, bytes: b }, sig))
        : f.bytes;
    report.failures.push({ ...f, bytes, count: 1 });
  };

  const first = o.only ?? 0;
  for (let i = first; i < first + mutated && report.failures.length < MAX_FAILURES; i++) {
    const c = mutationCase(o.seeds, caseSeed(o.seed, i));
    const label = `mutation #${i} of ${c.seedName} (${c.applied.join(', ')})`;
    try {
      runChecked(label, c);
    } catch (e) {
      if (e instanceof CaptureError) throw e; // runFuzzCase keeps these; one escaping is a harness bug
      const kind = e instanceof SlowCase ? 'slow' : e instanceof HeapExceeded ? 'heap' : 'exception';
      const message = describe(e);
      const reproduce = `FUZZ_SEED=${o.seed} FUZZ_ONLY=${i} npm run fuzz`;
      fail({ kind, label, message, bytes: c.bytes, reproduce }, e, c);
      if (e instanceof HeapExceeded) break;
    }
  }
  if (generated > 0 && report.failures.length < MAX_FAILURES) {
    for (const f of generatedCases(o.seed, generated, runChecked)) {
      fail({ ...f.failure, reproduce: `${reproduceBase}  # ${f.failure.reproduce}` }, f.error, f.case);
      if (report.failures.length >= MAX_FAILURES) break;
    }
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

function noteSlow(report: CampaignReport, label: string, cpuMs: number): void {
  const s = report.slowest;
  if (s.length >= 5 && cpuMs <= s[s.length - 1].cpuMs) return;
  s.push({ label, cpuMs });
  s.sort((a, b) => b.cpuMs - a.cpuMs);
  s.length = Math.min(s.length, 5);
}

function failsWith(engine: FuzzEngine, c: FuzzCase, sig: string): boolean {
  try {
    runFuzzCase(engine, c);
    return false;
  } catch (e) {
    return signature(e) === sig;
  }
}
