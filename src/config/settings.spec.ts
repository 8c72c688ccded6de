import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../test/support/paths';
import { loadDotEnv } from './dotenv';
import { nestLogLevels } from './log-levels';
import { DEFAULT_SECRET_KEY, loadSettings, SettingsError } from './settings';

/** Settings validation: every refusal names its variable and never prints the value given. */
describe('loadSettings', () => {
  const PROD = {
    NODE_ENV: 'production',
    SECRET_KEY: 'prod-secret-key-0123456789abcdef-xyz',
    API_KEY: 'prod-api-key-0123456789',
  };

  function refusal(env: NodeJS.ProcessEnv): string {
    try {
      loadSettings(env);
    } catch (err) {
      expect(err).toBeInstanceOf(SettingsError);
      return (err as Error).message;
    }
    throw new Error('loadSettings accepted it');
  }

  it('defaults in development', () => {
    const s = loadSettings({});
    expect(s).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '127.0.0.1',
      apiKey: null,
      secretKey: DEFAULT_SECRET_KEY,
      jwtTtlSeconds: 3600,
      upload: { maxBytes: 2 ** 31, maxGzipRatio: 100, maxEmptyRecordShare: 0.5 },
      throttle: { ttlMs: 60_000, limit: 600, uploadLimit: 30, uploadBytes: 2 ** 31 },
      https: { enabled: false, certPath: null, keyPath: null, redirectHttpPort: null },
      trustProxy: null,
    });
  });

  // [env, the variable the message must name, the value that must not appear in it]
  const cases: Array<[NodeJS.ProcessEnv, string, string]> = [
    [{ NODE_ENV: 'staging-XYZZY' }, 'NODE_ENV', 'staging-XYZZY'],
    [{ ...PROD, SECRET_KEY: DEFAULT_SECRET_KEY }, 'SECRET_KEY', DEFAULT_SECRET_KEY],
    [{ ...PROD, SECRET_KEY: '' }, 'SECRET_KEY', DEFAULT_SECRET_KEY],
    [{ ...PROD, SECRET_KEY: 'short-S3CR3T-value' }, 'SECRET_KEY', 'short-S3CR3T-value'],
    [{ ...PROD, API_KEY: '' }, 'API_KEY', PROD.SECRET_KEY],
    [{ API_KEY: 'tiny-K3Y' }, 'API_KEY', 'tiny-K3Y'],
    [{ PORT: '70000' }, 'PORT', '70000'],
    [{ PORT: 'eighty' }, 'PORT', 'eighty'],
    [{ DATABASE_URL: 'not a url pa55word' }, 'DATABASE_URL', 'pa55word'],
    [{ DATABASE_URL: 'mysql://u:pa55word@h/db' }, 'DATABASE_URL', 'pa55word'],
    [{ REDIS_URL: 'http://u:pa55word@h:6379' }, 'REDIS_URL', 'pa55word'],
    [{ REDIS_URL: 'redis://u:pa55word@h:6379/cache' }, 'REDIS_URL', 'pa55word'],
    [{ REDIS_PREFIX: 'has space' }, 'REDIS_PREFIX', 'has space'],
    [{ JWT_TTL_SECONDS: '5' }, 'JWT_TTL_SECONDS', 'JWT_TTL_SECONDS must be an integer between 60 and 604800 '],
    [{ MIGRATIONS_RUN: 'maybe' }, 'MIGRATIONS_RUN', 'maybe'],
    [{ ENABLE_HTTPS: 'true' }, 'SSL_CERT_PATH', 'xx'],
    [{ ENABLE_HTTPS: 'true', SSL_CERT_PATH: '/c.pem' }, 'SSL_KEY_PATH', '/c.pem'],
    [{ ENABLE_HTTPS: 'sometimes' }, 'ENABLE_HTTPS', 'sometimes'],
    [{ HTTP_REDIRECT_PORT: '-1' }, 'HTTP_REDIRECT_PORT', '-1'],
    [{ THROTTLE_LIMIT: '0' }, 'THROTTLE_LIMIT', 'xx'],
    [{ THROTTLE_TTL_MS: '1.5' }, 'THROTTLE_TTL_MS', '1.5'],
    [{ THROTTLE_UPLOAD_LIMIT: 'lots' }, 'THROTTLE_UPLOAD_LIMIT', 'lots'],
    [{ UPLOAD_MAX_BYTES: '0' }, 'UPLOAD_MAX_BYTES', 'xx'],
    [{ UPLOAD_MAX_GZIP_RATIO: '1' }, 'UPLOAD_MAX_GZIP_RATIO', 'xx'],
    [{ UPLOAD_MAX_GZIP_RATIO: '2.5' }, 'UPLOAD_MAX_GZIP_RATIO', '2.5'],
    [{ UPLOAD_MAX_EMPTY_RECORD_SHARE: '1.5' }, 'UPLOAD_MAX_EMPTY_RECORD_SHARE', '1.5'],
    [{ UPLOAD_MAX_EMPTY_RECORD_SHARE: 'half' }, 'UPLOAD_MAX_EMPTY_RECORD_SHARE', 'half'],
    [{ THROTTLE_UPLOAD_BYTES: 'many' }, 'THROTTLE_UPLOAD_BYTES', 'many'],
    [{ UPLOAD_MAX_BYTES: '2000', THROTTLE_UPLOAD_BYTES: '1999' }, 'THROTTLE_UPLOAD_BYTES', '1999'],
    [{ CHUNK_MAX_BYTES: '10' }, 'CHUNK_MAX_BYTES', 'xx'],
    [{ CHUNK_MAX_PACKETS: 'x' }, 'CHUNK_MAX_PACKETS', 'xx'],
    [{ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY', 'xx'],
    [{ WORKER_LOCK_MS: '1' }, 'WORKER_LOCK_MS', 'xx'],
    [{ WORKER_ATTEMPTS: '0' }, 'WORKER_ATTEMPTS', 'xx'],
    [{ WORKER_BACKOFF_MS: '1' }, 'WORKER_BACKOFF_MS', 'xx'],
    [{ WORKER_RECONCILE_MS: '1' }, 'WORKER_RECONCILE_MS', 'xx'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY', 'true'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY', '10.0.0.0/33'],
    [{ TRUST_PROXY: '99' }, 'TRUST_PROXY', '99'],
  ];
  it.each(cases)('refuses %j naming %s, without the value', (env, variable, value) => {
    const msg = refusal(env);
    expect(msg.startsWith(`${variable} `) || msg.startsWith('ENABLE_HTTPS=true needs')).toBe(true);
    expect(msg).toContain(variable);
    expect(msg).not.toContain(value);
    expect(msg).not.toContain('\n');
  });

  it('says exactly what to do about the default SECRET_KEY in production', () => {
    expect(refusal({ ...PROD, SECRET_KEY: DEFAULT_SECRET_KEY })).toBe(
      'SECRET_KEY is still the default: set a random value of at least 32 characters in production',
    );
  });

  it('accepts a production configuration and TRUST_PROXY as hops or addresses', () => {
    expect(loadSettings(PROD).nodeEnv).toBe('production');
    expect(loadSettings({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadSettings({ TRUST_PROXY: 'loopback, 10.0.0.0/8,::1,fd00::/8' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
    ]);
  });

  it('LOG_LEVEL: log by default, each level with those more severe, anything else refused', () => {
    expect(loadSettings({}).logLevel).toBe('log');
    expect(nestLogLevels(loadSettings({}).logLevel)).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(nestLogLevels(loadSettings({ LOG_LEVEL: 'debug' }).logLevel)).toEqual([
      'fatal',
      'error',
      'warn',
      'log',
      'debug',
    ]);
    expect(nestLogLevels('error')).toEqual(['fatal', 'error']);
    expect(refusal({ LOG_LEVEL: 'DEBUG' })).toBe('LOG_LEVEL must be one of error, warn, log, debug, verbose');
  });

  it('.env.example documents exactly the variables settings.ts reads, and loads as-is (refused in production)', () => {
    const source = readFileSync(join(ROOT, 'src', 'config', 'settings.ts'), 'utf8');
    const read = new Set<string>();
    for (const m of source.matchAll(/env\.([A-Z][A-Z0-9_]+)|env, '([A-Z][A-Z0-9_]+)'/g)) read.add(m[1] ?? m[2]);
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const documented = [...example.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(documented.length).toBe(new Set(documented).size);
    expect([...documented].sort()).toEqual([...read].sort());
    const env = Object.fromEntries([...example.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(loadSettings(env).nodeEnv).toBe('development');
    expect(refusal({ ...env, NODE_ENV: 'production' })).toMatch(/^SECRET_KEY is still the default/);
  });
});

describe('loadDotEnv', () => {
  const names = ['NW_DOTENV_A', 'NW_DOTENV_B', 'NW_DOTENV_C'];
  afterEach(() => names.forEach((n) => delete process.env[n]));

  it('reads .env from the directory; variables already set win; no file → null', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-dotenv-'));
    expect(loadDotEnv(dir)).toBeNull();
    writeFileSync(join(dir, '.env'), 'NW_DOTENV_A=from-file\nNW_DOTENV_B="quoted value"\n# NW_DOTENV_C=comment\n');
    process.env.NW_DOTENV_A = 'from-env';
    expect(loadDotEnv(dir)).toBe(join(dir, '.env'));
    expect([process.env.NW_DOTENV_A, process.env.NW_DOTENV_B, process.env.NW_DOTENV_C]).toEqual([
      'from-env',
      'quoted value',
      undefined,
    ]);
  });
});
