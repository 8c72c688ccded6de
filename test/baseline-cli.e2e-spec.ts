import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureAnalysis } from '../src/engine/analyze-capture';
import { parseBaselineModel } from '../src/engine/baseline/baseline-model';
import { SHARED_PCAPS } from './support/paths';
import { runCli } from './support/run-cli';
import { NET, addedHostAndService, timelinePcap } from './support/scenarios/baseline.scenario';

/** `netwarden analyze --baseline FILE [--learn | --detect] [--network NAME]` as a user runs it (dist/: npm run build first). */
const tmp = mkdtempSync(join(tmpdir(), 'netwarden-baseline-'));
const { learn, detect } = addedHostAndService();
const LEARN = join(tmp, 'learn.pcap');
const DETECT = join(tmp, 'detect.pcap');
writeFileSync(LEARN, timelinePcap(learn));
writeFileSync(DETECT, timelinePcap(detect));

function oneLineError(r: { status: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain('internal error');
}

describe('netwarden analyze --baseline', () => {
  const file = join(tmp, 'office.json');

  it('--learn writes the model atomically; --detect then reports exactly the added host and service', () => {
    const l = runCli(['analyze', '--json', '--baseline', file, '--learn', '--network', 'office', LEARN]);
    expect(l.status).toBe(0);
    expect(l.stderr).toBe(
      `netwarden: baseline ${file} (network office) saved: 4 hosts, 2 services, 5 protocols, 1 hour\n`,
    );
    expect((JSON.parse(l.stdout) as CaptureAnalysis).findings).toEqual([]);
    const model = parseBaselineModel(JSON.parse(readFileSync(file, 'utf8')));
    expect(model.network).toBe('office');
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const before = readFileSync(file);
    const d = runCli(['analyze', '--json', '--baseline', file, '--detect', DETECT]);
    expect(d.status).toBe(0);
    const found = (JSON.parse(d.stdout) as CaptureAnalysis).findings.filter((f) => f.detector === 'network-baseline');
    expect(found.map((f) => [f.type, f.severity, f.src, f.count])).toEqual([
      ['baseline-new-host', 'low', { ip: '10.50.0.30', mac: NET.newcomer.mac }, 5],
      ['baseline-new-service', 'medium', { ip: '10.50.0.20', port: 22 }, 1],
    ]);
    // Detect never changes the file.
    expect(readFileSync(file)).toEqual(before);
  });

  it('learning several captures extends one model; auto mode creates a missing file', () => {
    const both = join(tmp, 'both.json');
    expect(runCli(['analyze', '--baseline', both, '--learn', LEARN, DETECT]).status).toBe(0);
    const m = parseBaselineModel(JSON.parse(readFileSync(both, 'utf8')));
    expect(m.network).toBe('default');
    expect(m.hosts.map((h) => h.ip)).toContain('10.50.0.30');
    expect(m.services.map((s) => s.port)).toEqual([22, 53, 80]);
    // Learned on both: detect on the second is silent.
    const r = runCli(['analyze', '--jsonl', '--detectors', 'network-baseline', '--baseline', both, '--detect', DETECT]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');

    const auto = join(tmp, 'auto.json');
    const a = runCli(['analyze', '--jsonl', '--detectors', 'network-baseline', '--baseline', auto, LEARN]);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe('');
    expect(parseBaselineModel(JSON.parse(readFileSync(auto, 'utf8'))).packets).toBe(learn.frames.length);
  });

  it('real lab captures: learn clean-web, detect ftp-login → the FTP service only', () => {
    const lab = join(tmp, 'lab.json');
    const A = join(SHARED_PCAPS, 'attacks');
    expect(
      runCli(['analyze', '--baseline', lab, '--learn', '--network', 'lab', join(A, 'clean-web.pcap')]).status,
    ).toBe(0);
    const r = runCli([
      'analyze',
      '--jsonl',
      '--detectors',
      'network-baseline',
      '--baseline',
      lab,
      '--detect',
      join(A, 'ftp-login.pcap'),
    ]);
    expect(r.status).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { title: string }).title),
    ).toEqual(['New listening service: 10.231.0.20:21/tcp']);
  });

  describe('bad baseline files and options: exit 2, one line, no stack trace', () => {
    const good = join(tmp, 'good.json');
    beforeAll(() => {
      expect(runCli(['analyze', '--baseline', good, '--learn', '--network', 'office', LEARN]).status).toBe(0);
    });
    const write = (name: string, text: string) => {
      const f = join(tmp, name);
      writeFileSync(f, text);
      return f;
    };

    it('missing file in detect mode', () => {
      oneLineError(
        runCli(['analyze', '--baseline', join(tmp, 'none.json'), '--detect', DETECT]),
        /no such file \(learn one first with --learn\)$/,
      );
    });
    it('corrupt JSON', () => {
      oneLineError(
        runCli(['analyze', '--baseline', write('corrupt.json', '{"format": "netw'), DETECT]),
        /not valid JSON/,
      );
    });
    it('JSON that is not a baseline', () => {
      oneLineError(
        runCli(['analyze', '--baseline', write('other.json', '{"a": 1}'), DETECT]),
        /not a netwarden baseline/,
      );
    });
    it('a damaged host entry', () => {
      const doc = JSON.parse(readFileSync(good, 'utf8')) as { hosts: Array<Record<string, unknown>> };
      doc.hosts[0].bytes = 'lots';
      oneLineError(
        runCli(['analyze', '--baseline', write('damaged.json', JSON.stringify(doc)), DETECT]),
        /hosts\[0\]\.bytes is not a statistic/,
      );
    });
    it('wrong version', () => {
      const doc = JSON.parse(readFileSync(good, 'utf8')) as { version: number };
      doc.version = 2;
      oneLineError(
        runCli(['analyze', '--baseline', write('v2.json', JSON.stringify(doc)), DETECT]),
        /unsupported baseline version 2/,
      );
    });
    it('wrong network', () => {
      oneLineError(
        runCli(['analyze', '--baseline', good, '--network', 'branch', '--detect', DETECT]),
        /is for network "office", not "branch"/,
      );
    });
    it('a directory', () => {
      const dir = join(tmp, 'dir.json');
      mkdirSync(dir, { recursive: true });
      oneLineError(runCli(['analyze', '--baseline', dir, '--detect', DETECT]), /is a directory/);
    });
    it('options that do not go together', () => {
      oneLineError(
        runCli(['analyze', '--baseline', good, '--learn', '--detect', DETECT]),
        /choose one of --learn and --detect/,
      );
      oneLineError(runCli(['analyze', '--detect', DETECT]), /need --baseline FILE/);
      oneLineError(
        runCli(['analyze', '--baseline', good, '--detectors', 'port-scan', DETECT]),
        /needs the network-baseline detector/,
      );
      oneLineError(runCli(['analyze', '--baseline', good, '--network', '../x', DETECT]), /--network must be/);
    });
  });
});
