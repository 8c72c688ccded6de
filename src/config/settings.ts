import { isIP } from 'node:net';
import { resolve } from 'node:path';

/**
 * Typed settings from the environment (and a .env file in the working directory, read by `loadDotEnv`), validated once at
 * start-up so a bad value fails fast with a message that names the variable — never its value:
 * some are secrets. The API, the workers and `analyze --db` all read the same settings.
 */
export interface Settings {
  nodeEnv: 'production' | 'development' | 'test';
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of every Redis key and channel (BullMQ queues, events): separates deployments and test suites. */
  redisPrefix: string;
  /** The first admin API key (env API_KEY); stored hashed in api_keys at start-up. */
  apiKey: string | null;
  /** Encrypts capture state at rest and signs JWTs. */
  secretKey: string;
  jwtTtlSeconds: number;
  dataDir: string;
  migrationsRun: boolean;
  upload: {
    /** Largest capture accepted, after decompression (413 beyond). */
    maxBytes: number;
    /** A gzip upload may inflate to at most this many times the bytes received so far (413 beyond). */
    maxGzipRatio: number;
    /** Largest share of packet records that may be empty (capLen 0) or verbatim repeats (422 beyond). */
    maxEmptyRecordShare: number;
  };
  chunk: { maxBytes: number; maxPackets: number };
  worker: {
    concurrency: number;
    /** BullMQ lock: a worker that stops renewing it (killed) loses the job after this long. */
    lockMs: number;
    /** Attempts per chunk job before the capture is marked failed; back-off doubles from backoffMs. */
    attempts: number;
    backoffMs: number;
    /** How often a worker re-enqueues the next chunk of captures whose job was lost (Redis restart). */
    reconcileMs: number;
    /** How often a worker checks the intel feeds file and cached copies for changes (also at each capture's start). */
    intelCheckMs: number;
    /** How long a learning capture's first chunk waits before checking again whether its network's baseline is free. */
    baselineWaitMs: number;
  };
  /** uploadBytes: capture bytes (after gzip decoding) one key or address may upload per ttlMs. */
  throttle: { ttlMs: number; limit: number; uploadLimit: number; uploadBytes: number };
  /** GET /events: comment line every heartbeatMs; a client more than clientBufferBytes behind is dropped. */
  events: { heartbeatMs: number; clientBufferBytes: number };
  https: { enabled: boolean; certPath: string | null; keyPath: string | null; redirectHttpPort: number | null };
  /**
   * Express `trust proxy` (TRUST_PROXY): a hop count or the proxies' addresses / CIDRs / names
   * (loopback, linklocal, uniquelocal). null = the socket address is the client (the default):
   * trusting X-Forwarded-For from anyone would let a client pick its own rate-limit bucket.
   */
  trustProxy: number | string[] | null;
  /**
   * The API's least severe log level (LOG_LEVEL): `log` by default. `debug` adds, among others, the
   * details of an internal error (the driver's message, SQL, bound values, stack) under its id.
   */
  logLevel: LogLevelSetting;
  live: LiveSettings;
}

/** From most to least severe; each level includes those before it. */
export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevelSetting = (typeof LOG_LEVELS)[number];

function logLevelFromEnv(env: NodeJS.ProcessEnv): LogLevelSetting {
  const v = env.LOG_LEVEL || 'log';
  if (!(LOG_LEVELS as readonly string[]).includes(v))
    throw new SettingsError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return v as LogLevelSetting;
}

/** Live interface capture (src/live/): defaults for sessions; POST /live may override the per-session ones. */
export interface LiveSettings {
  /** false: /live answers 503 and nothing is captured (uploads and the rest work as before). */
  enabled: boolean;
  /** Sessions left running by an API that stopped are taken up again by the next API on this host. */
  resume: boolean;
  maxSessions: number;
  /** Bytes kept of each packet (libpcap snaplen). */
  snaplen: number;
  promiscuous: boolean;
  /** libpcap's kernel ring: what absorbs bursts while the capture process is busy. */
  bufferBytes: number;
  /** A chunk is cut after chunkMs, chunkPackets or chunkBytes, whichever comes first. */
  chunkMs: number;
  chunkPackets: number;
  chunkBytes: number;
  /** Analysed chunk files kept per session as rolling pcaps (0 = delete each once analysed). */
  retainBytes: number;
  /** ... and for how long (0 = no age limit). */
  retainSeconds: number;
  /** A session whose capture process has not reported for this long is taken over (resume). */
  orphanMs: number;
}

export class SettingsError extends Error {}

/**
 * What production refuses to start without (NODE_ENV=production): docker-compose.yml demands each
 * and the README's docker lines name them (test/compose-settings.spec.ts holds all three to this).
 */
export const PRODUCTION_REQUIRED = ['API_KEY', 'SECRET_KEY'] as const;

/** What the seed's .env shipped with: refused in production. */
export const DEFAULT_SECRET_KEY = 'change-me-in-production';

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SettingsError(`${name} must be an integer between ${min} and ${max}`);
  }
  return n;
}

function numberFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new SettingsError(`${name} must be a number from ${min} to ${max}`);
  return n;
}

function boolFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new SettingsError(`${name} must be true or false`);
}

function urlFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: string, protocols: string[]): string {
  const raw = env[name] || fallback;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new SettingsError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(u.protocol)) throw new SettingsError(`${name} must start with ${protocols.join(' or ')}//`);
  return raw;
}

/** REDIS_URL, whose path, if any, must be a database number: anything else is a mistake that would reach ioredis and the start-up line as NaN. */
function redisUrlFromEnv(env: NodeJS.ProcessEnv): string {
  const raw = urlFromEnv(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
  const db = new URL(raw).pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,5}$/.test(db))
    throw new SettingsError('REDIS_URL may end only in a database number (/0, /1, …)');
  return raw;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function trustProxyFromEnv(env: NodeJS.ProcessEnv): Settings['trustProxy'] {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw) return null;
  if (/^\d+$/.test(raw)) return intFromEnv(env, 'TRUST_PROXY', 0, 1, 32);
  const parts = raw.split(',').map((p) => p.trim());
  const ok = parts.every((p) => {
    if (PROXY_NAMES.includes(p)) return true;
    const [addr, bits, extra] = p.split('/');
    const family = isIP(addr);
    if (family === 0 || extra !== undefined) return false;
    return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
  if (!ok) {
    throw new SettingsError(
      'TRUST_PROXY must be a hop count (1-32) or a comma-separated list of proxy addresses, CIDRs, loopback, linklocal or uniquelocal',
    );
  }
  return parts;
}

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const nodeEnvRaw = env.NODE_ENV || 'development';
  if (!['production', 'development', 'test'].includes(nodeEnvRaw)) {
    throw new SettingsError('NODE_ENV must be production, development or test');
  }
  const nodeEnv = nodeEnvRaw as Settings['nodeEnv'];
  const secretKey = env.SECRET_KEY || DEFAULT_SECRET_KEY;
  if (nodeEnv === 'production') {
    if (secretKey === DEFAULT_SECRET_KEY) {
      throw new SettingsError(
        'SECRET_KEY is still the default: set a random value of at least 32 characters in production',
      );
    }
    if (secretKey.length < 32) throw new SettingsError('SECRET_KEY must be at least 32 characters in production');
    if (!env.API_KEY) throw new SettingsError('API_KEY must be set in production (the first admin key)');
  }
  const apiKey = env.API_KEY || null;
  if (apiKey !== null && apiKey.length < 16) throw new SettingsError('API_KEY must be at least 16 characters');

  const httpsEnabled = boolFromEnv(env, 'ENABLE_HTTPS', false);
  const certPath = env.SSL_CERT_PATH || null;
  const keyPath = env.SSL_KEY_PATH || null;
  if (httpsEnabled && (!certPath || !keyPath)) {
    throw new SettingsError('ENABLE_HTTPS=true needs SSL_CERT_PATH and SSL_KEY_PATH');
  }
  const redirect = intFromEnv(env, 'HTTP_REDIRECT_PORT', 0, 0, 65535);
  const uploadMaxBytes = intFromEnv(env, 'UPLOAD_MAX_BYTES', 2 * GiB, 1, 1024 * GiB);
  // Below UPLOAD_MAX_BYTES the largest upload allowed could never pass the budget (a 429 forever).
  const uploadBytes = intFromEnv(env, 'THROTTLE_UPLOAD_BYTES', uploadMaxBytes, 1, 1024 * 1024 * GiB);
  if (uploadBytes < uploadMaxBytes) {
    throw new SettingsError('THROTTLE_UPLOAD_BYTES must be at least UPLOAD_MAX_BYTES (one largest upload per window)');
  }
  const prefix = env.REDIS_PREFIX || 'netwarden';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix))
    throw new SettingsError('REDIS_PREFIX may hold only letters, digits, _ . -');

  return {
    nodeEnv,
    port: intFromEnv(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '127.0.0.1',
    databaseUrl: urlFromEnv(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/netwarden', [
      'postgres:',
      'postgresql:',
    ]),
    redisUrl: redisUrlFromEnv(env),
    redisPrefix: prefix,
    apiKey,
    secretKey,
    jwtTtlSeconds: intFromEnv(env, 'JWT_TTL_SECONDS', 3600, 60, 7 * 24 * 3600),
    dataDir: resolve(env.NETWARDEN_DATA_DIR || 'data'),
    migrationsRun: boolFromEnv(env, 'MIGRATIONS_RUN', false),
    upload: {
      maxBytes: uploadMaxBytes,
      // Real captures gzip 2-10x, floods of one packet up to ~45x (README "Upload cost"): 100 keeps
      // twice that margin and bounds a gzip bomb's work to 100x what was sent. Deflate's own limit is ~1030.
      maxGzipRatio: intFromEnv(env, 'UPLOAD_MAX_GZIP_RATIO', 100, 2, 1100),
      // No capture in ../shared/pcaps with 1000+ records has any; junk records are a bomb's filler.
      maxEmptyRecordShare: numberFromEnv(env, 'UPLOAD_MAX_EMPTY_RECORD_SHARE', 0.5, 0, 1),
    },
    chunk: {
      maxBytes: intFromEnv(env, 'CHUNK_MAX_BYTES', 16 * MiB, 64 * 1024, 1 * GiB),
      maxPackets: intFromEnv(env, 'CHUNK_MAX_PACKETS', 100_000, 1, 10_000_000),
    },
    worker: {
      concurrency: intFromEnv(env, 'WORKER_CONCURRENCY', 1, 1, 64),
      lockMs: intFromEnv(env, 'WORKER_LOCK_MS', 30_000, 1000, 3_600_000),
      attempts: intFromEnv(env, 'WORKER_ATTEMPTS', 8, 1, 100),
      backoffMs: intFromEnv(env, 'WORKER_BACKOFF_MS', 1000, 10, 600_000),
      reconcileMs: intFromEnv(env, 'WORKER_RECONCILE_MS', 10_000, 100, 3_600_000),
      intelCheckMs: intFromEnv(env, 'WORKER_INTEL_CHECK_MS', 30_000, 100, 3_600_000),
      baselineWaitMs: intFromEnv(env, 'WORKER_BASELINE_WAIT_MS', 2_000, 50, 600_000),
    },
    throttle: {
      ttlMs: intFromEnv(env, 'THROTTLE_TTL_MS', 60_000, 1000, 3_600_000),
      limit: intFromEnv(env, 'THROTTLE_LIMIT', 600, 1, 1_000_000),
      uploadLimit: intFromEnv(env, 'THROTTLE_UPLOAD_LIMIT', 30, 1, 1_000_000),
      uploadBytes,
    },
    events: {
      heartbeatMs: intFromEnv(env, 'EVENTS_HEARTBEAT_MS', 15_000, 100, 3_600_000),
      clientBufferBytes: intFromEnv(env, 'EVENTS_CLIENT_BUFFER_BYTES', 1 * MiB, 1024, 256 * MiB),
    },
    https: {
      enabled: httpsEnabled,
      certPath,
      keyPath,
      redirectHttpPort: redirect === 0 ? null : redirect,
    },
    trustProxy: trustProxyFromEnv(env),
    logLevel: logLevelFromEnv(env),
    live: {
      enabled: boolFromEnv(env, 'LIVE_ENABLED', true),
      resume: boolFromEnv(env, 'LIVE_RESUME', true),
      maxSessions: intFromEnv(env, 'LIVE_MAX_SESSIONS', 8, 1, 256),
      // tcpdump's default snaplen: whole packets, also on interfaces with large offloads.
      snaplen: intFromEnv(env, 'LIVE_SNAPLEN', 262_144, 64, 262_144),
      promiscuous: boolFromEnv(env, 'LIVE_PROMISCUOUS', true),
      bufferBytes: intFromEnv(env, 'LIVE_BUFFER_BYTES', 32 * MiB, 64 * 1024, 2 * GiB),
      chunkMs: intFromEnv(env, 'LIVE_CHUNK_MS', 2000, 100, 3_600_000),
      chunkPackets: intFromEnv(env, 'LIVE_CHUNK_PACKETS', 100_000, 1, 10_000_000),
      chunkBytes: intFromEnv(env, 'LIVE_CHUNK_BYTES', 16 * MiB, 64 * 1024, 1 * GiB),
      retainBytes: intFromEnv(env, 'LIVE_RETAIN_BYTES', 1 * GiB, 0, 1024 * GiB),
      retainSeconds: intFromEnv(env, 'LIVE_RETAIN_SECONDS', 24 * 3600, 0, 365 * 24 * 3600),
      orphanMs: intFromEnv(env, 'LIVE_ORPHAN_MS', 15_000, 1000, 3_600_000),
    },
  };
}
