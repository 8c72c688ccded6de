import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomInt } from 'node:crypto';
import { runCampaign, type CampaignReport } from './fuzz-campaign';
import { buildFuzzEngine } from './fuzz-engine';
import { loadSeedCorpus } from './seed-corpus';

/**
 * `npm run fuzz`: the engine fuzz run (see fuzz-campaign.ts for the cases and the oracles).
 *
 * Env or flags: FUZZ_SEED / --seed (default: random, printed), FUZZ_CASES / --cases (default
 * 200 000), FUZZ_ONLY / --only (re-run one mutation case of the seed's run), FUZZ_OUT / --out
 * (where failing captures are written, default fuzz-failures/). Exit 1 when a case failed.
 */
const root = resolve(__dirname, '..', '..', '..');

function option(flag: string, env: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : process.env[env];
}

function main(): void {
  const seed = Number(option('--seed', 'FUZZ_SEED') ?? randomInt(2 ** 31));
  const cases = Number(option('--cases', 'FUZZ_CASES') ?? 200_000);
  const onlyText = option('--only', 'FUZZ_ONLY');
  const only = onlyText === undefined ? undefined : Number(onlyText);
  const out = resolve(option('--out', 'FUZZ_OUT') ?? join(root, 'fuzz-failures'));
  if (!Number.isInteger(seed) || !Number.isInteger(cases) || cases < 1)
    throw new Error('FUZZ_SEED and FUZZ_CASES must be integers');
  process.stderr.write(
    `fuzz: seed ${seed}, ${only === undefined ? `${cases} cases` : `mutation case #${only} only`}\n`,
  );
  const shared = resolve(root, '..', 'shared', 'pcaps');
  const report = runCampaign({
    seed,
    cases,
    only,
    engine: buildFuzzEngine(shared),
    seeds: loadSeedCorpus(shared),
    onProgress: (done, total) => {
      if (done % 10_000 === 0) process.stderr.write(`fuzz: ${done}/${total} cases\n`);
    },
  });
  print(report, out);
  process.exitCode = report.failures.length ? 1 : 0;
}

function print(r: CampaignReport, out: string): void {
  const lines = [
    `fuzz: seed ${r.seed}: ${r.cases} cases (${r.mutated} mutated, ${r.generated} generated) in ${r.seconds.toFixed(0)} s`,
    `  ${r.packets} packets, ${r.findings} findings, ${r.captureErrors} captures refused with a CaptureError`,
    `  heap in use at most ${r.heapMaxMb.toFixed(0)} MB (sampled every 100 cases)`,
    `  cases reaching each parser / in which each detector reported:`,
    ...Object.entries(r.reached)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `    ${k.padEnd(32)} ${n}`),
    '  slowest cases (CPU ms, both passes):',
    ...r.slowest.map((s) => `    ${s.cpuMs.toFixed(0).padStart(6)}  ${s.label}`),
  ];
  const known = Object.entries(r.known);
  if (known.length || r.failures.length) mkdirSync(out, { recursive: true });
  for (const [id, k] of known) {
    const file = join(out, `known-${id}.pcap`);
    writeFileSync(file, k.bytes);
    lines.push(
      `fuzz: known defect ${id} hit by ${k.cases} case(s), not counted as failures: ${k.where}`,
      `    capture: ${file}`,
    );
  }
  if (r.failures.length) {
    lines.push(`fuzz: ${r.failures.length} failure(s); captures in ${out}`);
    r.failures.forEach((f, i) => {
      const file = join(out, `seed-${r.seed}-${i}.pcap`);
      if (f.bytes !== null) writeFileSync(file, f.bytes);
      lines.push(
        `  [${f.kind}] ${f.label}`,
        `    ${f.message.split('\n').join('\n    ')}`,
        `    capture: ${file}`,
        `    reproduce: ${f.reproduce}`,
      );
    });
  } else lines.push('fuzz: no failure');
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
