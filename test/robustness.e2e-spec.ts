import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureError } from '../src/engine/capture/capture-error';
import { readCapture } from '../src/engine/capture/read-capture';
import { resolveConfig } from '../src/engine/config';
import { createDetectors } from '../src/engine/detectors/registry';
import { Pipeline } from '../src/engine/pipeline';
import type { CaptureAnalysis } from '../src/engine/analyze-capture';
import { SHARED_PCAPS } from './support/paths';
import { runCli } from './support/run-cli';

/**
 * tcpdump's crash corpus (830 captures made to break packet printers): every file goes through
 * the whole pipeline — every protocol parser on — with no exception but a CaptureError, no hang,
 * and bounded memory; and through the CLI in one process, exit 0 or 2 with one line per bad file.
 */
const dir = join(SHARED_PCAPS, 'robustness');
const files = readdirSync(dir).sort();
/** Files the pipeline run found damaged at the container level (the CLI must agree). */
const damagedFiles = new Set<string>();

describe('robustness corpus', () => {
  it('has the 830 captures', () => {
    expect(files.length).toBe(830);
  });

  it('every capture runs through the full pipeline without an exception', async () => {
    const config = resolveConfig();
    const failures: string[] = [];
    let packets = 0;
    let damaged = 0;
    const unknownLinkTypes = new Set<number>();
    const heapBefore = process.memoryUsage().heapUsed;
    for (const name of files) {
      const pipeline = new Pipeline({ captureId: name, detectors: createDetectors(config), config, protocols: 'all' });
      try {
        await readCapture(join(dir, name), { onPacket: (rec) => pipeline.push(rec) });
      } catch (err) {
        if (err instanceof CaptureError) {
          damaged++;
          damagedFiles.add(join(dir, name));
        } else failures.push(`${name}: ${String(err)}`);
      }
      try {
        pipeline.finish();
      } catch (err) {
        failures.push(`${name} (finish): ${String(err)}`);
      }
      packets += pipeline.getStats().packets;
      for (const [lt, n] of Object.entries(pipeline.decodeStats().unknownLinkType))
        if (n) unknownLinkTypes.add(Number(lt));
    }
    expect(failures).toEqual([]);
    expect(packets).toBeGreaterThan(10000);
    // The corpus' damage is inside packets (containers are sound); some files use link types we
    // do not decode (counted, skipped).
    expect(damaged).toBe(damagedFiles.size);
    expect(unknownLinkTypes.size).toBeGreaterThan(5);
    // Nothing accumulates across captures (each pipeline is dropped): the heap stays small.
    global.gc?.();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
  });

  it('the CLI reads all of them in one process, plus cut copies: exit 2, one clear line per damaged file', () => {
    // Cut every 10th file in the middle: the container is then damaged for real.
    const tmp = mkdtempSync(join(tmpdir(), 'netwarden-robust-'));
    const cut: string[] = [];
    files.forEach((f, i) => {
      if (i % 10 !== 0) return;
      const bytes = readFileSync(join(dir, f));
      if (bytes.length < 200) return;
      const target = join(tmp, `cut-${f}`);
      writeFileSync(target, bytes.subarray(0, Math.floor(bytes.length / 2) + 3));
      cut.push(target);
    });
    expect(cut.length).toBeGreaterThan(20);
    const paths = [...files.map((f) => join(dir, f)), ...cut];
    const r = runCli(['analyze', '--json', ...paths]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toContain('internal error');
    const docs = JSON.parse(r.stdout) as CaptureAnalysis[];
    expect(docs.map((d) => d.file)).toEqual(paths);
    const bad = new Set(docs.filter((d) => d.errors.some((e) => e.offset >= 0)).map((d) => d.file));
    expect(bad).toEqual(new Set([...damagedFiles, ...cut]));
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(docs.reduce((n, d) => n + d.errors.length, 0));
    for (const l of lines) expect(l).toMatch(/^netwarden: \S.* at byte offset \d+$/);
    for (const d of docs.filter((x) => bad.has(x.file))) {
      expect(lines.filter((l) => l.includes(d.file))).toHaveLength(1);
    }
    // A cut copy still reports the packets before the cut: as many as the reader delivers from those bytes.
    for (const d of docs.filter((x) => cut.includes(x.file))) {
      const whole = docs.find((w) => w.file === join(dir, d.file.split('/cut-')[1]))!;
      expect(d.packets).toBeLessThanOrEqual(whole.packets);
      expect(d.errors[0].offset).toBeGreaterThanOrEqual(24);
      expect(d.errors[0].message).toMatch(
        /^\S+: input ends inside a (packet record|block|pcapng block|record header|.*header).* at byte offset \d+$/,
      );
    }
    // Sizes sanity: a file's packets can't exceed what its bytes could hold.
    for (const d of docs) expect(d.packets * 16).toBeLessThanOrEqual(readFileSync(d.file).length);
  });
});
