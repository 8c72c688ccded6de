import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths';
import { runCli } from './support/run-cli';

/** The README's quick start is what a new user types first: keep it true. */
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const quickStart = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1].trim().split('\n') ?? [];

describe('README quick start', () => {
  it('is exactly two commands: install + analyse a bundled capture, then the test suite', () => {
    expect(quickStart).toHaveLength(2);
    expect(quickStart[0]).toMatch(/^npm ci && npx netwarden analyze \S+$/);
    expect(quickStart[1]).toBe('npm test');
  });

  it('names a capture that exists and analyses cleanly', () => {
    const file = quickStart[0].split(' ').pop()!;
    expect(existsSync(join(ROOT, file))).toBe(true);
    const r = runCli(['analyze', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${file}: `);
  });

  it('is what CI runs', () => {
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm test$/m);
  });
});
