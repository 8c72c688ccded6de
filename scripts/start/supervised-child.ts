import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { nextRestart } from './restart-policy';

export interface ChildOptions {
  /** Shown before each of its lines: `api | …`. */
  name: string;
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** true: started again after a crash (back-off); false: onDeath is called. */
  restart: boolean;
  /** Each line it prints (stdout and stderr), after it was passed through. */
  onLine?: (line: string) => void;
  onDeath?: (code: number | null, signal: NodeJS.Signals | null) => void;
  say: (line: string) => void;
}

/**
 * One node child (`node <script>`) of `npm start`: its output passed through with a prefix,
 * restarted after a crash when asked, and stopped on request (SIGTERM, SIGKILL after graceMs).
 */
export class SupervisedChild {
  private proc: ChildProcess | null = null;
  private stopping = false;
  private crashes: number[] = [];
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: ChildOptions) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  start(): void {
    const proc = spawn(process.execPath, [this.o.script], {
      cwd: this.o.cwd,
      env: this.o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    for (const [stream, out] of [
      [proc.stdout, process.stdout],
      [proc.stderr, process.stderr],
    ] as const) {
      createInterface({ input: stream! }).on('line', (line) => {
        out.write(`${this.o.name} | ${line}\n`);
        this.o.onLine?.(line);
      });
    }
    proc.once('exit', (code, signal) => {
      this.proc = null;
      if (this.stopping) return;
      // Ctrl-C reaches the whole process group: the child may see it before `npm start` does.
      // A moment's grace lets our own SIGINT handler decide first.
      setTimeout(() => this.exited(code, signal), 300);
    });
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!this.o.restart) {
      this.o.onDeath?.(code, signal);
      return;
    }
    const d = nextRestart(this.crashes, Date.now());
    this.crashes = d.recent;
    this.o.say(
      d.crashLoop
        ? `${this.o.name} is crash-looping (${d.recent.length} exits in the last minute, the last with ${how}): see its output above; restarting in ${d.delayMs / 1000} s`
        : `${this.o.name} exited with ${how}; restarting in ${d.delayMs / 1000} s`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.start();
    }, d.delayMs);
  }

  /** Resolves once the child is gone; it is not restarted again. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(kill);
  }
}
