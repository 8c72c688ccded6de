import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOOP_CRASHES, nextRestart, WINDOW_MS } from '../scripts/start/restart-policy';
import { persistentSecretKey, SECRET_KEY_FILE } from '../scripts/start/secret-key-file';

describe('persistentSecretKey', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'nw-secret-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a key once into the data directory, 0600, and reads the same one back', () => {
    const dataDir = join(dir, 'data');
    const first = persistentSecretKey(dataDir);
    expect(first.created).toBe(true);
    expect(first.key.length).toBeGreaterThanOrEqual(32);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(persistentSecretKey(dataDir)).toEqual({ ...first, created: false });
  });

  it('replaces a file too short to be a key (an interrupted first start)', () => {
    writeFileSync(join(dir, SECRET_KEY_FILE), 'short\n', { mode: 0o644 });
    const s = persistentSecretKey(dir);
    expect([s.created, s.key === 'short', statSync(s.path).mode & 0o777]).toEqual([true, false, 0o600]);
  });
});

describe('nextRestart', () => {
  it('doubles the back-off with each crash in the last minute, up to 30 s', () => {
    const delays: number[] = [];
    let crashes: number[] = [];
    for (let i = 0; i < 7; i++) {
      const d = nextRestart(crashes, 1000 * i);
      delays.push(d.delayMs);
      crashes = d.recent;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('reports a crash loop from the fifth crash within the window', () => {
    const crashes = [0, 1, 2, 3].map((i) => i * 1000);
    expect(nextRestart(crashes.slice(0, LOOP_CRASHES - 2), 4000).crashLoop).toBe(false);
    expect(nextRestart(crashes, 4000).crashLoop).toBe(true);
  });

  it('forgets crashes older than the window', () => {
    const d = nextRestart([0, 1000, 2000, 3000], 3000 + WINDOW_MS);
    expect([d.recent.length, d.delayMs, d.crashLoop]).toEqual([1, 1000, false]);
  });
});
