import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SupervisedChild } from '../scripts/start/supervised-child';
import { waitFor } from './support/wait-for';

/** `npm start`'s children, with real node processes: prefixed output, restart after a crash, death reported, stop. */
describe('SupervisedChild', () => {
  let dir: string;
  const said: string[] = [];
  const lines: string[] = [];
  let child: SupervisedChild | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nw-child-'));
    // Prints a line, then exits 3 at once (a crash) or stays up (until SIGTERM).
    writeFileSync(join(dir, 'crash.js'), "console.log('up ' + process.pid); process.exit(3);\n");
    writeFileSync(join(dir, 'stay.js'), "console.log('up ' + process.pid); setInterval(() => {}, 1000);\n");
  });
  beforeEach(() => {
    said.length = 0;
    lines.length = 0;
  });
  afterEach(() => child?.stop(2000));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const options = (script: string, restart: boolean) => ({
    name: 'w',
    script: join(dir, script),
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    restart,
    say: (l: string) => said.push(l),
    onLine: (l: string) => lines.push(l),
  });

  it('starts a crashed child again after the back-off, saying how it exited', async () => {
    child = new SupervisedChild(options('crash.js', true));
    child.start();
    await waitFor('a second run', async () => (lines.length >= 2 ? true : undefined), 20_000);
    expect(said[0]).toBe('w exited with code 3; restarting in 1 s');
    expect(new Set(lines).size).toBe(lines.length); // each line from another pid: really restarted
    expect(lines[0]).toMatch(/^up \d+$/);
  });

  it('reports the death of a child that is not restarted', async () => {
    const deaths: Array<[number | null, string | null]> = [];
    child = new SupervisedChild({ ...options('crash.js', false), onDeath: (c, s) => deaths.push([c, s]) });
    child.start();
    await waitFor('the death', async () => (deaths.length ? true : undefined), 20_000);
    expect(deaths).toEqual([[3, null]]);
    expect(said).toEqual([]);
  });

  it('stops a running child and does not start it again', async () => {
    child = new SupervisedChild(options('stay.js', true));
    child.start();
    await waitFor('its first line', async () => (lines.length ? true : undefined), 20_000);
    const pid = child.pid!;
    await child.stop(5000);
    expect(() => process.kill(pid, 0)).toThrow();
    await new Promise((r) => setTimeout(r, 1500)); // longer than the first back-off
    expect([lines.length, said]).toEqual([1, []]);
  });
});
