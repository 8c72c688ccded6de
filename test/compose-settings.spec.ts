import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadSettings, PRODUCTION_REQUIRED, SettingsError } from '../src/config/settings';
import { ROOT } from './support/paths';

/**
 * docker-compose.yml, the settings and the README agree on what production needs (issue 14: the
 * README's `docker compose up` failed on variables it never named). The list PRODUCTION_REQUIRED
 * is checked against loadSettings itself, so a new requirement there fails here until compose and
 * the README name it too.
 */
const DOCKERFILE_ENV = { NODE_ENV: 'production', NETWARDEN_DATA_DIR: '/data' }; // its ENV lines
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string | number> }>;
};
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Values loadSettings accepts in production for each required variable. */
function filled(): Record<string, string> {
  return { API_KEY: `nwk_${randomBytes(24).toString('base64url')}`, SECRET_KEY: randomBytes(32).toString('base64url') };
}

/** Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME:?message}` (fails like compose). */
function interpolate(value: string | number, vars: Record<string, string>): string {
  return String(value).replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    const v = vars[name];
    if (v) return v;
    if (op === '?') throw new Error(`required variable ${name} is missing a value: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

function serviceEnv(service: string, vars: Record<string, string>): Record<string, string> {
  const env = compose.services[service]?.environment ?? {};
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v, vars)]));
}

describe('docker-compose.yml, settings and README agree on what production requires', () => {
  it('PRODUCTION_REQUIRED is exactly what loadSettings refuses to run without in production', () => {
    const all = filled();
    expect(loadSettings({ NODE_ENV: 'production', ...all }).nodeEnv).toBe('production');
    for (const name of PRODUCTION_REQUIRED) {
      const rest: Record<string, string> = { ...all };
      delete rest[name];
      expect(() => loadSettings({ NODE_ENV: 'production', ...rest })).toThrow(SettingsError);
      expect(() => loadSettings({ NODE_ENV: 'production', ...rest })).toThrow(name);
    }
  });

  it.each(['api', 'worker'])('compose service %s demands each required variable (${NAME:?…})', (service) => {
    const env = compose.services[service]?.environment ?? {};
    for (const name of PRODUCTION_REQUIRED) expect(String(env[name])).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
    for (const name of PRODUCTION_REQUIRED) {
      const vars = filled();
      delete vars[name];
      expect(() => serviceEnv(service, vars)).toThrow(`required variable ${name}`);
    }
  });

  it.each(['api', 'worker'])('compose service %s passes production settings once they are filled', (service) => {
    const env = { ...DOCKERFILE_ENV, ...serviceEnv(service, filled()) };
    const s = loadSettings(env);
    expect([s.nodeEnv, s.host, s.dataDir]).toEqual(['production', '0.0.0.0', '/data']);
  });

  it('names each required variable, with how to generate it, in every README code block running docker compose up', () => {
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((m) => m[1])
      .filter((b) => /docker compose up/.test(b));
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      for (const name of PRODUCTION_REQUIRED)
        expect(block).toMatch(new RegExp(`\\b${name}=\\$\\(node -e .*randomBytes`));
    }
  });

  // Compose itself, where it is installed: the plugin (`docker compose`), else Debian's docker-compose
  // (.ci/run installs it; `config` needs no daemon). Without either, the parse above stands in.
  const composeCommand = ((): string[] | null => {
    if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return ['docker', 'compose'];
    if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose'];
    return null;
  })();
  const composeConfig = (env: Record<string, string>) => {
    const [cmd, ...pre] = composeCommand!;
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !PRODUCTION_REQUIRED.includes(k as never)),
    ) as Record<string, string>;
    return spawnSync(cmd, [...pre, '-f', join(ROOT, 'docker-compose.yml'), 'config', '--quiet'], {
      env: { ...clean, ...env },
      encoding: 'utf8',
    });
  };
  (composeCommand ? it : it.skip)(
    'compose config refuses the file without each required variable and accepts it with them',
    () => {
      const ok = composeConfig(filled());
      expect([ok.status, ok.stderr]).toEqual([0, '']);
      for (const name of PRODUCTION_REQUIRED) {
        const { [name]: _dropped, ...rest } = filled();
        const r = composeConfig(rest);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(`set ${name}`);
      }
    },
  );
});
