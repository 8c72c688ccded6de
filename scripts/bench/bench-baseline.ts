import { readFileSync, writeFileSync } from 'node:fs';
import { readCapture } from '../../src/engine/capture/read-capture';
import { resolveConfig } from '../../src/engine/config';
import { emptyBaselineModel, parseBaselineModel } from '../../src/engine/baseline/baseline-model';
import { baselineSession, type BaselineMode } from '../../src/engine/baseline/baseline-session';
import { createDetectors } from '../../src/engine/detectors/registry';
import { Pipeline } from '../../src/engine/pipeline';

/**
 * The network-baseline detector's cost: the pipeline (all detectors, or BENCH_DETECTORS) with no
 * baseline, learning one, or comparing with one. Run each in its own process under /usr/bin/time.
 * usage: bench-baseline none|learn|detect FILE [MODEL.json]   (learn writes MODEL, detect reads it)
 */
async function main(mode: 'none' | BaselineMode, file: string, modelFile?: string): Promise<object> {
  const config = resolveConfig();
  const session =
    mode === 'none'
      ? undefined
      : baselineSession(
          mode,
          mode === 'detect'
            ? parseBaselineModel(JSON.parse(readFileSync(modelFile!, 'utf8')))
            : emptyBaselineModel('bench'),
        );
  const pipeline = new Pipeline({
    captureId: 'bench',
    detectors: createDetectors(
      config,
      process.env.BENCH_DETECTORS?.split(',').filter(Boolean),
      session ? { baseline: session } : {},
    ),
    config,
  });
  await readCapture(file, { onPacket: (rec) => pipeline.push(rec) });
  pipeline.finish();
  const s = pipeline.getStats();
  const learned = session?.learned;
  if (learned && modelFile && mode === 'learn') writeFileSync(modelFile, JSON.stringify(learned));
  const mine = pipeline.findings().filter((f) => f.detector === 'network-baseline');
  return {
    packets: s.packets,
    bytes: s.bytes,
    baselineFindings: mine.length,
    byType: mine.reduce<Record<string, number>>((a, f) => ({ ...a, [f.type]: (a[f.type] ?? 0) + 1 }), {}),
    ...(learned
      ? {
          hosts: learned.hosts.length,
          services: learned.services.length,
          macs: learned.macs.length,
          hours: learned.hours,
        }
      : {}),
  };
}

const [mode, file, model] = process.argv.slice(2) as ['none' | BaselineMode, string, string | undefined];
main(mode, file, model).then(
  (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exitCode = 1;
  },
);
