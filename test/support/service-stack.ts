import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Finding } from '../../src/engine/finding';
import {
  TEST_API_KEY,
  serviceEnv,
  startApi,
  startWorker,
  type ApiProcess,
  type ServiceProcess,
} from './service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './test-database';
import { deleteRedisKeys } from './test-resources';

/**
 * The whole service for an end-to-end suite: its own database, Redis prefix and data directory,
 * the built API process and worker processes — and the client calls every such suite makes
 * (upload a file, wait until its capture is done, read all its alerts).
 */
export class ServiceStack {
  readonly headers = { 'x-api-key': TEST_API_KEY };

  /** Output of the API processes restartApi() replaced, oldest first. */
  readonly formerApiOutput: string[] = [];

  private constructor(
    readonly db: TestDatabase,
    readonly dataDir: string,
    public api: ApiProcess,
    readonly workers: ServiceProcess[],
    private readonly env: Record<string, string>,
    private readonly umask?: string,
  ) {}

  /** `umask` (e.g. '022'): every process of the stack runs under it (see launch()). */
  static async start(o: {
    name: string;
    workers?: number;
    env?: Record<string, string>;
    umask?: string;
  }): Promise<ServiceStack> {
    const db = await createTestDatabase();
    await db.dataSource.destroy();
    const dataDir = mkdtempSync(join(tmpdir(), `nw-${o.name}-`));
    const env = serviceEnv({ databaseUrl: db.url, redisPrefix: testRedisPrefix(), dataDir, ...o.env });
    const api = await startApi(env, undefined, { umask: o.umask });
    const workers = Array.from({ length: o.workers ?? 2 }, () => startWorker(env, { umask: o.umask }));
    return new ServiceStack(db, dataDir, api, workers, env, o.umask);
  }

  /**
   * SIGTERM the API (as a redeploy does; `kill: true` for kill -9), wait for it to exit, and
   * start a new one with the suite's environment plus `env` (e.g. another LIVE_RESUME); `api` is
   * the new process after.
   */
  async restartApi(env: Record<string, string> = {}, o: { kill?: boolean } = {}): Promise<ApiProcess> {
    await (o.kill ? this.api.kill() : this.api.stop());
    this.formerApiOutput.push(this.api.output());
    this.api = await startApi({ ...this.env, ...env }, undefined, { umask: this.umask });
    return this.api;
  }

  async stop(): Promise<void> {
    await Promise.all([this.api.stop(), ...this.workers.map((w) => w.stop())]);
    await this.db.drop();
    await deleteRedisKeys(this.env.REDIS_PREFIX);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** POST /captures as a multipart form; `query` without the `?`. */
  async upload(file: string, query = ''): Promise<{ status: number; body: { id?: string; message?: string } }> {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(file)]), basename(file));
    const r = await fetch(`${this.api.url}/captures${query ? `?${query}` : ''}`, {
      method: 'POST',
      headers: this.headers,
      body: form,
    });
    return { status: r.status, body: (await r.json()) as { id?: string; message?: string } };
  }

  /** GET /captures/:id until done or failed; the workers' output in the error when it never ends. */
  async waitDone<V extends { status: string }>(id: string, timeoutMs = 60_000): Promise<V> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = (await (await fetch(`${this.api.url}/captures/${id}`, { headers: this.headers })).json()) as V;
      if (v.status === 'done' || v.status === 'failed') return v;
      if (Date.now() > until)
        throw new Error(`not done: ${JSON.stringify(v)}\n${this.workers.map((w) => w.output()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Every finding of a capture through GET /alerts, page by page, in the API's default order. */
  async alerts(id: string): Promise<Finding[]> {
    const out: Finding[] = [];
    for (let page = 1; ; page++) {
      const r = await fetch(`${this.api.url}/alerts?capture=${id}&limit=100&page=${page}`, { headers: this.headers });
      if (r.status !== 200) throw new Error(`GET /alerts answered ${r.status}: ${await r.text()}`);
      const body = (await r.json()) as { items: Finding[]; total: number };
      out.push(...body.items);
      if (out.length >= body.total || body.items.length === 0) return out;
    }
  }
}
