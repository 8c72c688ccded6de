import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { version } from '../package.json';
import { DETECTORS } from '../src/engine/detectors/registry';
import { ROOT } from './support/paths';

/**
 * `netwarden --help` / `--version` load only commander and the CLI's own small modules. Timing is
 * measured (README "netwarden analyze"), not asserted: what is asserted is the cause of slowness —
 * the modules loaded — which does not depend on how busy the machine is.
 */
const tmp = mkdtempSync(join(tmpdir(), 'netwarden-cli-startup-'));
const recorder = join(tmp, 'record-modules.js');
// Preloaded with --require: on exit, writes every CommonJS module the process loaded.
writeFileSync(
  recorder,
  `process.on('exit', () => require('node:fs').writeFileSync(process.env.NW_MODULES_OUT, JSON.stringify(Object.keys(require.cache))));\n`,
);

let runs = 0;

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function runRecorded(args: string[]): { status: number | null; stdout: string; modules: string[] } {
  const out = join(tmp, `modules-${++runs}.json`);
  const r = spawnSync(process.execPath, ['--require', recorder, join(ROOT, 'bin', 'netwarden.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NW_MODULES_OUT: out },
  });
  const modules = (JSON.parse(readFileSync(out, 'utf8')) as string[]).map((m) => relative(ROOT, m));
  return { status: r.status, stdout: r.stdout, modules };
}

/** Modules of our own, and packages from node_modules, that --help and --version may load. */
// node_modules may be a symlink (worktrees share one): match the folder name anywhere in the path.
const PACKAGE = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//;
function ownModules(modules: string[]): string[] {
  return modules.filter((m) => !PACKAGE.test(m) && m !== relative(ROOT, recorder)).sort();
}
function packages(modules: string[]): string[] {
  return [...new Set(modules.map((m) => PACKAGE.exec(m)?.[1]).filter((p): p is string => p !== undefined))].sort();
}

const SMALL = [
  'bin/netwarden.js',
  'dist/package.json',
  'dist/src/cli.js',
  'dist/src/cli/exit-codes.js',
  'dist/src/engine/detectors/detector-catalog.js',
].sort();

describe('netwarden start-up', () => {
  it('--help prints the usage, every command and every detector id, loading only commander and the CLI entry', () => {
    const r = runRecorded(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: netwarden /);
    for (const cmd of ['analyze', 'monitor', 'intel', 'detectors']) expect(r.stdout).toContain(cmd);
    expect(ownModules(r.modules)).toEqual(SMALL);
    expect(packages(r.modules)).toEqual(['commander']);
  });

  it('analyze --help names every registered detector (from the catalog, without loading the engine)', () => {
    const r = runRecorded(['analyze', '--help']);
    expect(r.status).toBe(0);
    // commander wraps long help lines: compare the words, not the layout.
    const words = r.stdout.replace(/\s+/g, ' ');
    expect(words).toContain(`default: all: ${DETECTORS.map((d) => d.id).join(', ')}`);
    expect(ownModules(r.modules)).toEqual(SMALL);
  });

  it('--version prints the package version with the same small module set', () => {
    const r = runRecorded(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    expect(ownModules(r.modules)).toEqual(SMALL);
    expect(packages(r.modules)).toEqual(['commander']);
  });

  it('a command still loads what it needs (the lazy import works in the built code)', () => {
    const r = runRecorded(['detectors']);
    expect(r.status).toBe(0);
    expect(
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(DETECTORS.map((d) => d.id));
    const analyze = runRecorded(['analyze', '--json', join(ROOT, 'fixtures', 'anomalies', 'input.pcap')]);
    expect(analyze.status).toBe(0);
    expect(ownModules(analyze.modules)).toContain('dist/src/engine/detectors/registry.js');
  });
});
