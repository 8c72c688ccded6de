import type { DataSource } from 'typeorm';
import { CaptureEntity } from '../../src/captures/capture.entity';
import { waitFor } from './wait-for';

/** A capture's row as the workers left it, and waits on its progress, for the fault suites. */
export function captureProgress(ds: () => DataSource) {
  const row = (id: string) => ds().getRepository(CaptureEntity).findOneByOrFail({ id });
  return {
    row,
    /** Until the capture is done or failed. */
    settled: (id: string, timeoutMs: number): Promise<CaptureEntity> =>
      waitFor(
        `capture ${id} done or failed`,
        async () => {
          const r = await row(id);
          return r.status === 'done' || r.status === 'failed' ? r : undefined;
        },
        timeoutMs,
        200,
      ),
    /** Until at least `chunks` chunks are analysed (a fault is then injected mid-capture). */
    pastChunk: (id: string, chunks: number, timeoutMs = 60_000): Promise<true> =>
      waitFor(
        `capture past chunk ${chunks}`,
        async () => ((await row(id)).chunksDone >= chunks ? true : undefined),
        timeoutMs,
        50,
      ),
  };
}
