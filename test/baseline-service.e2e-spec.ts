import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { normalizeBaselineModel, parseBaselineModel } from '../src/engine/baseline/baseline-model';
import type { Finding } from '../src/engine/finding';
import { ROOT } from './support/paths';
import { runCli } from './support/run-cli';
import { NET, addedHostAndService, timelinePcap } from './support/scenarios/baseline.scenario';
import { ServiceStack } from './support/service-stack';
import type { TestDatabase } from './support/test-database';

/**
 * Network baselines in the service (real processes: dist/ API + two workers, real PostgreSQL and
 * Redis): a capture uploaded with `?baseline=office&baselineMode=learn` learns into the
 * `baselines` row, a later one with `baselineMode=detect` compares with it, and both give exactly
 * what `analyze --baseline FILE --learn` then `--detect` give on the same pair of files — the
 * stored model included. Small chunks, so the model crosses chunks (and workers).
 */
interface CaptureView {
  id: string;
  status: string;
  baseline: { network: string; mode: string } | null;
  errors: Array<{ offset: number; message: string }>;
  progress: { chunksDone: number; chunksTotal: number | null };
  timings: { startedAt: string | null; finishedAt: string | null };
}

describe('baselines in the service', () => {
  let stack: ServiceStack;
  let db: TestDatabase;
  let dataDir: string;
  const files = mkdtempSync(join(tmpdir(), 'nw-baseline-svc-files-'));
  const { learn, detect } = addedHostAndService();
  const LEARN = join(files, 'learn.pcap');
  const DETECT = join(files, 'detect.pcap');
  const modelFile = join(files, 'office.json');

  beforeAll(async () => {
    writeFileSync(LEARN, timelinePcap(learn));
    writeFileSync(DETECT, timelinePcap(detect));
    stack = await ServiceStack.start({ name: 'baseline-svc', env: { CHUNK_MAX_PACKETS: '7' } });
    ({ db, dataDir } = stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(files, { recursive: true, force: true });
  });

  const upload = (file: string, query: string) => stack.upload(file, query);

  const waitDone = (id: string) => stack.waitDone<CaptureView>(id);

  const alerts = (id: string) => stack.alerts(id);

  async function storedRow(network: string): Promise<{ model: unknown; packets: string; version: number } | null> {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const r = await c.query<{ model: unknown; packets: string; version: number }>(
        'SELECT "model", "packets", "version" FROM "baselines" WHERE "network" = $1',
        [network],
      );
      return r.rows[0] ?? null;
    } finally {
      await c.end();
    }
  }

  function cli(args: string[]): Finding[] {
    const r = runCli(['analyze', '--json', ...args]);
    expect(r.status).toBe(0);
    return (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
  }

  it('bad baseline options are refused before the upload is read (400 with the reason)', async () => {
    const cases: Array<[string, RegExp]> = [
      ['baseline=office&baselineMode=sometimes', /baselineMode must be one of learn, detect, auto/],
      ['baselineMode=learn', /baselineMode needs baseline=NETWORK/],
      ['baseline=..%2Fetc', /baseline must be 1-64 letters/],
      ['baseline=office&detectors=arp-spoof', /needs the network-baseline detector/],
      ['baseline=a&baseline=b', /baseline must be given once/],
    ];
    for (const [query, reason] of cases) {
      const r = await upload(LEARN, query);
      expect([query, r.status, r.body.message]).toEqual([query, 400, expect.stringMatching(reason)]);
    }
    expect(await storedRow('office')).toBeNull();
  });

  it('learn then detect: /alerts and the stored model equal analyze --baseline --learn / --detect', async () => {
    const l = await upload(LEARN, 'baseline=office&baselineMode=learn');
    expect(l.status).toBe(202);
    const lv = await waitDone(l.body.id!);
    expect([lv.status, lv.errors, lv.progress.chunksDone > 1]).toEqual(['done', [], true]);
    const learnedCli = cli([
      '--baseline',
      modelFile,
      '--learn',
      '--network',
      'office',
      '--capture-id',
      l.body.id!,
      LEARN,
    ]);
    expect(await alerts(l.body.id!)).toEqual(learnedCli);

    const row = await storedRow('office');
    expect(row && [row.version, Number(row.packets)]).toEqual([1, learn.frames.length]);
    const fileModel = parseBaselineModel(JSON.parse(readFileSync(modelFile, 'utf8')));
    expect(normalizeBaselineModel(parseBaselineModel(row!.model))).toEqual(normalizeBaselineModel(fileModel));

    const d = await upload(DETECT, 'baseline=office&baselineMode=detect');
    expect(d.status).toBe(202);
    const dv = await waitDone(d.body.id!);
    expect([dv.status, dv.errors, dv.baseline]).toEqual(['done', [], { network: 'office', mode: 'detect' }]);
    const got = await alerts(d.body.id!);
    expect(got).toEqual(cli(['--baseline', modelFile, '--detect', '--capture-id', d.body.id!, DETECT]));
    expect(
      got.filter((f) => f.detector === 'network-baseline').map((f) => [f.type, f.severity, f.src, f.count]),
    ).toEqual([
      ['baseline-new-host', 'low', { ip: '10.50.0.30', mac: NET.newcomer.mac }, 5],
      ['baseline-new-service', 'medium', { ip: '10.50.0.20', port: 22 }, 1],
    ]);
    // Detect never changes the stored model.
    expect((await storedRow('office'))!.version).toBe(1);
  }, 120_000);

  it('detect against a network with nothing learned: no baseline findings, the capture says why', async () => {
    const d = await upload(DETECT, 'baseline=branch&baselineMode=detect&force=true');
    expect(d.status).toBe(202);
    const v = await waitDone(d.body.id!);
    expect([v.status, v.errors]).toEqual([
      'done',
      [
        {
          offset: -1,
          message:
            'baseline branch holds nothing learned yet (upload with baselineMode=learn first); the network-baseline detector did not run',
        },
      ],
    ]);
    expect((await alerts(d.body.id!)).filter((f) => f.detector === 'network-baseline')).toEqual([]);
    expect(await storedRow('branch')).toBeNull();
  }, 60_000);

  it('two learning uploads of one network at once learn one after the other, like analyze --learn A B', async () => {
    const [a, b] = await Promise.all([
      upload(LEARN, 'baseline=pair&baselineMode=learn&force=true'),
      upload(DETECT, 'baseline=pair&baselineMode=learn&force=true'),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const views = [await waitDone(a.body.id!), await waitDone(b.body.id!)];
    expect(views.map((v) => [v.status, v.errors])).toEqual([
      ['done', []],
      ['done', []],
    ]);
    const [first, second] = [...views].sort((x, y) => x.timings.startedAt!.localeCompare(y.timings.startedAt!));
    expect(Date.parse(second.timings.startedAt!)).toBeGreaterThanOrEqual(Date.parse(first.timings.finishedAt!));
    const order = first.id === a.body.id ? [LEARN, DETECT] : [DETECT, LEARN];
    const file = join(files, 'pair.json');
    cli(['--baseline', file, '--learn', '--network', 'pair', ...order]);
    const row = await storedRow('pair');
    expect(row!.version).toBe(2);
    expect(normalizeBaselineModel(parseBaselineModel(row!.model))).toEqual(
      normalizeBaselineModel(parseBaselineModel(JSON.parse(readFileSync(file, 'utf8')))),
    );
  }, 120_000);

  it('analyze --db --baseline-network: the same table and the same findings as the file baseline', async () => {
    const db2 = (args: string[]) =>
      spawnSync(
        process.execPath,
        [join(ROOT, 'bin', 'netwarden.js'), 'analyze', '--db', db.url, '--data-dir', dataDir, ...args],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', SECRET_KEY: 'cli-secret-0123456789abcdef0123456789', FORCE_COLOR: '0' },
        },
      );
    const file = join(files, 'lab.json');
    const l = db2(['--json', '--baseline-network', 'lab', '--learn', LEARN]);
    expect(l.status).toBe(0);
    cli(['--baseline', file, '--learn', '--network', 'lab', LEARN]);
    const row = await storedRow('lab');
    expect(normalizeBaselineModel(parseBaselineModel(row!.model))).toEqual(
      normalizeBaselineModel(parseBaselineModel(JSON.parse(readFileSync(file, 'utf8')))),
    );
    const id = randomUUID();
    const d = db2(['--json', '--baseline-network', 'lab', '--detect', '--capture-id', id, DETECT]);
    expect(d.status).toBe(0);
    const got = (JSON.parse(d.stdout) as { findings: Finding[] }).findings;
    expect(got).toEqual(cli(['--baseline', file, '--detect', '--capture-id', id, DETECT]));
    expect(got.filter((f) => f.detector === 'network-baseline').map((f) => f.type)).toEqual([
      'baseline-new-host',
      'baseline-new-service',
    ]);
    const refused = db2(['--baseline-network', 'lab', '--baseline', file, DETECT]);
    expect([refused.status, refused.stderr]).toEqual([
      2,
      'netwarden: choose one of --baseline and --baseline-network\n',
    ]);
  }, 60_000);
});
