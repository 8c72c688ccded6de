import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureAnalysis } from '../src/engine/analyze-capture';
import { DETECTORS } from '../src/engine/detectors/registry';
import type { Finding } from '../src/engine/finding';
import { FIXTURES, SHARED_PCAPS } from './support/paths';
import { runCli } from './support/run-cli';

/** `netwarden analyze` as a user runs it: the built binary, real files, exit codes, stdout/stderr. */
const anomalies = join(FIXTURES, 'anomalies', 'input.pcap');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'anomalies', 'expected.json'), 'utf8')) as Array<{
  type: string;
}>;
const tmp = mkdtempSync(join(tmpdir(), 'netwarden-cli-'));

function noStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).not.toContain('internal error');
}

describe('netwarden analyze', () => {
  it('--json prints the documented object for one file', () => {
    const r = runCli(['analyze', '--json', anomalies]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as CaptureAnalysis;
    expect(Object.keys(doc).sort()).toEqual(
      ['bytes', 'errors', 'file', 'findings', 'firstSeen', 'lastSeen', 'linkTypes', 'packets'].sort(),
    );
    expect(doc.file).toBe(anomalies);
    expect(doc.packets).toBe(25);
    expect(doc.bytes).toBe(readFileSync(anomalies).length - 24 - 16 * 25);
    expect(doc.linkTypes).toEqual([1]);
    expect(doc.errors).toEqual([]);
    expect(doc.firstSeen).toBe('2026-01-01T00:00:00.000000Z');
    expect(doc.lastSeen).toBe('2026-01-01T00:00:02.400000Z');
    expect(doc.findings.map((f) => f.type).sort()).toEqual(expected.map((e) => e.type).sort());
    for (const f of doc.findings) {
      expect(f.id).toMatch(/^[0-9a-f]{32}$/);
      expect(f.evidence.frames.length).toBeGreaterThan(0);
    }
  });

  it('a certificate with an empty subject and issuer DN is analysed, not a crash (issue 13: exit 70, no output)', () => {
    const edge = join(FIXTURES, 'tls-edge-certs', 'input.pcap');
    const r = runCli(['analyze', '--json', edge]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as CaptureAnalysis;
    expect(doc.errors).toEqual([]);
    const want = JSON.parse(readFileSync(join(FIXTURES, 'tls-edge-certs', 'expected.json'), 'utf8')) as Array<{
      type: string;
    }>;
    expect(doc.findings.map((f) => f.type).sort()).toEqual(want.map((e) => e.type).sort());
    expect(doc.findings.filter((f) => f.title.includes('(empty subject)'))).toHaveLength(2);
  });

  it('is deterministic: two runs give identical output', () => {
    expect(runCli(['analyze', '--json', anomalies]).stdout).toBe(runCli(['analyze', '--json', anomalies]).stdout);
  });

  it('--jsonl prints one finding per line, the same findings as --json', () => {
    const json = JSON.parse(runCli(['analyze', '--json', anomalies]).stdout) as CaptureAnalysis;
    const r = runCli(['analyze', '--jsonl', anomalies]);
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Finding);
    expect(lines).toEqual(json.findings);
  });

  it('prints a readable table by default', () => {
    const r = runCli(['analyze', anomalies]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${anomalies}: 25 packets`);
    expect(r.stdout).toMatch(/HIGH\s+packet-anomaly\s+1\s+2026-01-01 00:00:01\s+192\.168\.56\.20\s+LAND packet/);
    expect(r.stdout.trim().split('\n')).toHaveLength(2 + expected.length);
  });

  it('--min-severity and --fail-on filter and set the exit code', () => {
    const high = runCli(['analyze', '--json', '--min-severity', 'high', anomalies]);
    expect((JSON.parse(high.stdout) as CaptureAnalysis).findings.map((f) => f.type)).toEqual(['land-packet']);
    expect(runCli(['analyze', '--fail-on', 'high', anomalies]).status).toBe(1);
    expect(runCli(['analyze', '--fail-on', 'critical', anomalies]).status).toBe(0);
  });

  it('reads stdin with -', () => {
    const r = runCli(['analyze', '--json', '-'], readFileSync(anomalies));
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as CaptureAnalysis;
    expect(doc.file).toBe('stdin');
    expect(doc.packets).toBe(25);
    expect(doc.findings.map((f) => f.type).sort()).toEqual(expected.map((e) => e.type).sort());
  });

  it('several files give an array, one object per file', () => {
    const clean = join(SHARED_PCAPS, 'attacks', 'clean-web.pcap');
    const r = runCli(['analyze', '--json', anomalies, clean]);
    expect(r.status).toBe(0);
    const docs = JSON.parse(r.stdout) as CaptureAnalysis[];
    expect(docs.map((d) => [d.file, d.packets])).toEqual([
      [anomalies, 25],
      [clean, 47],
    ]);
    // clean-web is plain browsing: the unencrypted-web summary (info) and nothing else.
    expect(docs[1].findings.map((f) => [f.detector, f.type, f.severity, f.count])).toEqual([
      ['cleartext-http', 'unencrypted-web', 'info', 3],
    ]);
  });

  it('--detectors selects detectors; an unknown one is a usage error', () => {
    expect(runCli(['analyze', '--json', '--detectors', 'packet-anomaly', anomalies]).status).toBe(0);
    const r = runCli(['analyze', '--detectors', 'nope', anomalies]);
    expect(r.status).toBe(2);
    // Derived from the registry, so adding a detector does not break this test.
    const known = DETECTORS.map((d) => d.id).join(', ');
    expect(r.stderr.trim().split('\n')).toEqual([`netwarden: unknown detector "nope" (known: ${known})`]);
  });

  it('--config overrides thresholds and rejects unknown keys', () => {
    const cfg = join(tmp, 'allow-253.json');
    const allowed = [0, 1, 2, 4, 6, 17, 41, 43, 44, 47, 50, 51, 58, 59, 60, 89, 103, 112, 115, 132, 136, 253];
    writeFileSync(cfg, JSON.stringify({ detectors: { 'packet-anomaly': { allowedIpProtocols: allowed } } }));
    const r = runCli(['analyze', '--json', '--config', cfg, anomalies]);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as CaptureAnalysis).findings.map((f) => f.type)).not.toContain('unusual-ip-protocol');
    const bad = join(tmp, 'typo.json');
    writeFileSync(bad, JSON.stringify({ maxFindigs: 3 }));
    const e = runCli(['analyze', '--config', bad, anomalies]);
    expect(e.status).toBe(2);
    expect(e.stderr.trim()).toBe(`netwarden: config ${bad}: unknown configuration key "maxFindigs"`);
  });

  describe('bad input: one clear line, exit 2, never a stack trace', () => {
    it('a text file names its first bytes', () => {
      const f = join(tmp, 'notes.txt');
      writeFileSync(f, 'hello, this is not a capture\n');
      const r = runCli(['analyze', f]);
      expect(r.status).toBe(2);
      noStackTrace(r.stderr);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(f);
      expect(r.stderr).toMatch(/68 65 6c 6c 6f|hello/);
    });

    it('a gzip file says to decompress first', () => {
      const f = join(tmp, 'capture.pcap.gz');
      writeFileSync(f, Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
      const r = runCli(['analyze', f]);
      expect(r.status).toBe(2);
      noStackTrace(r.stderr);
      expect(r.stderr).toMatch(/gzip/);
    });

    it('a truncated capture: packets before the cut are analysed, the offset is named', () => {
      const whole = readFileSync(anomalies);
      const f = join(tmp, 'cut.pcap');
      writeFileSync(f, whole.subarray(0, whole.length - 10));
      const r = runCli(['analyze', '--json', f]);
      expect(r.status).toBe(2);
      noStackTrace(r.stderr);
      const doc = JSON.parse(r.stdout) as CaptureAnalysis;
      expect(doc.packets).toBe(24);
      expect(doc.errors).toHaveLength(1);
      const lastRecord = 24 + 16 * 24 + sumFirst(whole, 24);
      expect(doc.errors[0].offset).toBe(lastRecord);
      expect(r.stderr.trim()).toBe(`netwarden: ${doc.errors[0].message}`);
      expect(doc.errors[0].message).toContain(String(lastRecord));
      expect(doc.findings.length).toBeGreaterThan(5);
    });

    it('an empty file, a missing file and a directory', () => {
      const empty = join(tmp, 'empty.pcap');
      writeFileSync(empty, '');
      for (const f of [empty, join(tmp, 'missing.pcap'), tmp]) {
        const r = runCli(['analyze', f]);
        expect(r.status).toBe(2);
        noStackTrace(r.stderr);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toContain(f);
      }
    });

    it('usage errors', () => {
      for (const args of [
        ['analyze'],
        ['analyze', '--bogus', anomalies],
        ['analyze', '--fail-on', 'severe', anomalies],
        ['frobnicate'],
      ]) {
        const r = runCli(args);
        expect(r.status).toBe(2);
        noStackTrace(r.stderr);
      }
    });
  });
});

/** Captured bytes of the first n records of a little-endian classic pcap. */
function sumFirst(file: Buffer, n: number): number {
  let off = 24;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const cap = file.readUInt32LE(off + 8);
    sum += cap;
    off += 16 + cap;
  }
  return sum;
}
