import { basename, join } from 'node:path';
import { runCli } from './support/run-cli';
import { SHARED_PCAPS, capturesIn, fixtureCaptures } from './support/paths';
import { ServiceStack } from './support/service-stack';
import { budgetMs } from './support/time-budget';
import type { Finding } from '../src/engine/finding';

/**
 * The one code path, end to end (issue 6, first must-show): every capture of fixtures/ (and the
 * attack recordings) uploaded to the real API process, analysed by two real worker processes in
 * small chunks, and the findings read back through GET /alerts equal `netwarden analyze --json`
 * on the same file — exactly, ids included (analyze gets the capture's id through --capture-id).
 */
const CAPTURES = [...fixtureCaptures(), ...capturesIn(join(SHARED_PCAPS, 'attacks'))];

interface CaptureView {
  id: string;
  status: string;
  reason: string | null;
  progress: { chunksDone: number; chunksTotal: number | null; packets: number };
}

describe('upload → workers → /alerts equals analyze --json', () => {
  let stack: ServiceStack;

  beforeAll(async () => {
    // Small chunks so that most captures cross several chunks (and both workers).
    stack = await ServiceStack.start({ name: 'service', env: { CHUNK_MAX_PACKETS: '97' } });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('has captures to check', () => {
    expect(CAPTURES.length).toBeGreaterThanOrEqual(2);
  });

  it.each(CAPTURES.map((f) => [basename(f), f]))(
    '%s',
    async (_name, file) => {
      const up = await stack.upload(file);
      expect([up.status, typeof up.body.id]).toEqual([202, 'string']);
      const id = up.body.id!;
      const v = await stack.waitDone<CaptureView>(id, budgetMs(30_400) - 30_000);
      expect(v.status).toBe('done');
      expect(v.progress.chunksDone).toBe(v.progress.chunksTotal);
      const cli = runCli(['analyze', '--json', '--capture-id', id, file]);
      expect(cli.stderr).not.toMatch(/TypeError|at \w+ \(/);
      const expected = (JSON.parse(cli.stdout) as { findings: Finding[] }).findings;
      expect(await stack.alerts(id)).toEqual(expected);
    },
    // syn-flood.pcap, the largest: 30.4 s under test:stress.
    budgetMs(30_400),
  );
});
