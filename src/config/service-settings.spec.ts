import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeConnections, loadServiceSettings, missingDatabaseMessage } from './service-settings';
import { loadSettings } from './settings';

describe('loadServiceSettings', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'nw-settings-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads .env from the directory, the environment winning', () => {
    writeFileSync(join(dir, '.env'), 'DATABASE_URL=postgres://h1:5433/fromfile\nREDIS_PREFIX=fromfile\n');
    const env: NodeJS.ProcessEnv = { REDIS_PREFIX: 'fromenv' };
    const { settings, dotEnvPath } = loadServiceSettings(dir, env);
    expect([settings.databaseUrl, settings.redisPrefix, dotEnvPath]).toEqual([
      'postgres://h1:5433/fromfile',
      'fromenv',
      join(dir, '.env'),
    ]);
  });

  it('works without a .env', () => {
    expect(loadServiceSettings(dir, {}).dotEnvPath).toBeNull();
  });
});

describe('describeConnections', () => {
  it('names host, port and database of PostgreSQL and host, port, db and prefix of Redis', () => {
    const s = loadSettings({
      DATABASE_URL: 'postgres://db.example:6543/nw_prod',
      REDIS_URL: 'redis://cache.example:6380/5',
      REDIS_PREFIX: 'blue',
    });
    expect(describeConnections(s, '/srv/nw/.env')).toBe(
      'database nw_prod on db.example:6543, redis cache.example:6380 db 5 prefix blue (settings from the environment and /srv/nw/.env)',
    );
  });

  it('fills in the default ports and db 0', () => {
    const s = loadSettings({ DATABASE_URL: 'postgresql://pg/x', REDIS_URL: 'redis://r' });
    expect(describeConnections(s)).toBe(
      'database x on pg:5432, redis r:6379 db 0 prefix netwarden (settings from the environment; no .env)',
    );
  });

  it('never shows a user or password of either URL', () => {
    const s = loadSettings({
      DATABASE_URL: 'postgres://admin:S3cr%40tPw@db:5432/nw',
      REDIS_URL: 'rediss://default:R3disPw@cache:6379/2',
    });
    const line = describeConnections(s);
    for (const secret of ['S3cr', 'S3cr@tPw', 'S3cr%40tPw', 'R3disPw', 'admin', 'default:']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('database nw on db:5432');
  });
});

describe('missingDatabaseMessage', () => {
  it("turns PostgreSQL's 3D000 into a line saying which database and how to create it", () => {
    const err = Object.assign(new Error('database "nw_x" does not exist'), { code: '3D000' });
    expect(missingDatabaseMessage(err, 'postgres://u:pw@127.0.0.1:5432/nw_x')).toBe(
      "database nw_x does not exist on 127.0.0.1:5432: create it with `createdb -h 127.0.0.1 -p 5432 'nw_x'`, or run `npm start`, which creates it",
    );
  });

  it('leaves every other error alone', () => {
    expect(
      missingDatabaseMessage(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'postgres://h/d'),
    ).toBe(null);
    expect(missingDatabaseMessage(null, 'postgres://h/d')).toBe(null);
  });
});
