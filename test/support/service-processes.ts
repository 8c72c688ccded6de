import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths';

/**
 * The API and the workers as real processes (built `dist/`, as `npm run start:api` /
 * `start:worker` run them) against the suite's own database and Redis prefix — so a test can
 * kill -9 a worker, restart Redis under it, or read the API's peak RSS.
 */
export interface ServiceProcess {
  proc: ChildProcess;
  /** Everything the process wrote so far (stdout + stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<void>;
  /** kill -9 now. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

export interface ApiProcess extends ServiceProcess {
  url: string;
}

/** Environment for a service process: the suite's database and Redis prefix, a known admin key. */
export const TEST_API_KEY = 'test-admin-key-0123456789abcdef';

export function serviceEnv(o: { databaseUrl: string; redisPrefix: string; dataDir: string } & Record<string, string>) {
  const { databaseUrl, redisPrefix, dataDir, ...rest } = o;
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: redisPrefix,
    NETWARDEN_DATA_DIR: dataDir,
    API_KEY: TEST_API_KEY,
    SECRET_KEY: 'test-secret-key-0123456789abcdef0123',
    // Suites make many requests in seconds; the rate-limit tests set their own low limits.
    THROTTLE_LIMIT: '100000',
    THROTTLE_UPLOAD_LIMIT: '100000',
    ...rest,
  };
}

/**
 * The program and arguments that run `argv` — under `umask` when given. The shell only sets the
 * umask and execs its positional arguments (the process keeps the pid): nothing is built into a
 * command string, and the mask applies from the process's first instruction, which
 * process.umask() in the child could not guarantee.
 */
export function launch(argv: string[], umask?: string): [string, string[]] {
  if (umask === undefined) return [argv[0], argv.slice(1)];
  return ['sh', ['-c', 'umask "$1" && shift && exec "$@"', 'sh', umask, ...argv]];
}

function track(proc: ChildProcess): ServiceProcess {
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  const kill = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGKILL');
    await exited;
  };
  return { proc, output: () => out, stop, kill, exited };
}

/**
 * Starts dist/src/main.js and resolves with its URL (http:// or https:// as it reports) once it
 * listens. `cwd` is where it looks for a `.env` file (default: the repository root).
 */
export async function startApi(
  env: Record<string, string>,
  timeoutMs = 30_000,
  opts: { cwd?: string; umask?: string } = {},
): Promise<ApiProcess> {
  const [cmd, args] = launch([process.execPath, join(ROOT, 'dist', 'src', 'main.js')], opts.umask);
  const proc = spawn(cmd, args, {
    env: { PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: opts.cwd ?? ROOT,
  });
  const p = track(proc);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`API did not start within ${timeoutMs} ms:\n${p.output()}`)),
      timeoutMs,
    );
    const onData = () => {
      const m = /netwarden api listening on (https?:\/\/\S+)/.exec(p.output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout?.on('data', onData);
    void p.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`API exited with ${code} before listening:\n${p.output()}`));
    });
  });
  return { ...p, url };
}

export function startWorker(env: Record<string, string>, opts: { umask?: string } = {}): ServiceProcess {
  const [cmd, args] = launch([process.execPath, join(ROOT, 'dist', 'workers', 'analysis.worker.js')], opts.umask);
  const proc = spawn(cmd, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(proc);
}
