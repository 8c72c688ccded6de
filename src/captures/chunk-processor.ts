import { join } from 'node:path';
import type { DataSource, EntityManager } from 'typeorm';
import { CaptureError } from '../engine/capture/capture-error';
import { endOfCaptureNotes } from '../engine/analysis-notes';
import { readCapture } from '../engine/capture/read-capture';
import { resolveConfig, type EngineConfig } from '../engine/config';
import { baselineSession } from '../engine/baseline/baseline-session';
import type { DetectorResources } from '../engine/detectors/detector-resources';
import { createDetectors } from '../engine/detectors/registry';
import type { Finding } from '../engine/finding';
import { Pipeline, type PipelineState, type PipelineStats } from '../engine/pipeline';
import { TrafficSummary, type TrafficSummaryState } from '../engine/summary/traffic-summary';
import { upsertFindings } from '../findings/finding-writer';
import { writeSummary } from '../findings/summary-writer';
import type { CaptureIntel } from '../intel/intel-index-source';
import type { ServiceEvent } from '../queue/service-events';
import {
  claimBaselineForLearning,
  saveCaptureBaseline,
  startCaptureBaseline,
  type CarriedBaseline,
} from './capture-baseline';
import { CaptureChunkEntity } from './capture-chunk.entity';
import { CaptureEntity } from './capture.entity';
import type { StateCipher } from './state-cipher';

/**
 * Analyses one chunk of one capture (DESIGN §4) — the step the workers and `analyze --db` share.
 * In one transaction: lock the capture row, check the chunk is the next one, restore the carried
 * state, run the chunk through a Pipeline, upsert the changed findings and the summary delta,
 * save the new state and the progress. Only after the commit are events published and the next
 * chunk enqueued, so a crash at any moment leaves either the old state (the chunk runs again
 * from it) or the new one (a re-delivery is recognised and skipped) — never half of each.
 * What detectors are handed is fixed at the first chunk so any worker continues alike: the
 * threat-intel index version (captures.intelVersion) and the capture's stored baseline model
 * (carried in the sealed state); the last chunk saves what the capture learned (capture-baseline.ts).
 */
export interface ChunkProcessorOptions {
  dataSource: DataSource;
  /** Root of `captures/<id>/<chunk file>`. */
  dataDir: string;
  cipher: StateCipher;
  config?: EngineConfig;
  /** Resources some detectors need (intel, baseline); the same for every chunk of a capture. */
  resources?: (capture: CaptureEntity) => DetectorResources;
  /**
   * The service's threat-intel feeds (workers): the capture is pinned to the index version
   * current at its first chunk (captures.intelVersion); overrides `resources().intel`.
   */
  intel?: CaptureIntel;
  /** Best effort, after commit (Redis pub/sub in the workers; absent in the CLI). */
  publish?: (event: ServiceEvent) => Promise<void>;
  /** Adds the next chunk's job (the queue in the workers; the CLI runs chunks itself). */
  enqueue?: (captureId: string, seq: number) => Promise<void>;
}

export type ChunkOutcome =
  | { kind: 'gone' }
  /** The chunk was analysed earlier (re-delivery): nothing changed. */
  | { kind: 'already'; next: number | null }
  | {
      kind: 'processed';
      /** Next chunk to run: null when the capture is done or (live) the next chunk is not recorded yet. */
      next: number | null;
      /** This was the capture's last chunk. */
      done: boolean;
      /** Packets in this chunk. */
      packets: number;
      ms: number;
      /** Pipeline totals after this chunk. */
      stats: PipelineStats;
      changedFindings: number;
    };

/** The chunk is ahead of the capture's progress: retried later, when its turn has come. */
export class ChunkOrderError extends Error {}

/** What `captures.state` holds between chunks (sealed). */
interface CarriedState {
  pipeline: PipelineState;
  summary: TrafficSummaryState;
  /** The capture's baseline model as of its first chunk (absent/null: no baseline). */
  baseline?: CarriedBaseline | null;
}

interface Committed {
  outcome: ChunkOutcome;
  events: ServiceEvent[];
}

/**
 * A chunk that could not have its capture's pinned intel version ran with another one (and the
 * capture is re-pinned to it): a capture error with no offset (like the finding-limit line), so
 * a reader knows the threat-intel findings may differ from a run with one indicator set.
 */
function noteIntelSwitch(
  errors: Array<{ offset: number; message: string }>,
  pinned: string,
  used: string,
  seq: number,
): void {
  errors.push({
    offset: -1,
    message: `threat intel: indicator set ${pinned} was no longer available; chunk ${seq} and later used ${used}`,
  });
}

export class ChunkProcessor {
  private readonly config: EngineConfig;

  constructor(private readonly opts: ChunkProcessorOptions) {
    this.config = opts.config ?? resolveConfig();
  }

  async processChunk(captureId: string, seq: number, workerName: string): Promise<ChunkOutcome> {
    const { outcome, events } = await this.opts.dataSource.transaction((tx) =>
      this.inTransaction(tx, captureId, seq, workerName),
    );
    if (this.opts.publish) {
      for (const e of events) await this.opts.publish(e).catch(() => undefined); // events are best effort
    }
    // Also after a re-delivery: the enqueue that followed the first commit may have been lost.
    if (outcome.kind !== 'gone' && outcome.next !== null && this.opts.enqueue) {
      await this.opts.enqueue(captureId, outcome.next);
    }
    return outcome;
  }

  private async inTransaction(
    tx: EntityManager,
    captureId: string,
    seq: number,
    workerName: string,
  ): Promise<Committed> {
    const started = Date.now();
    const capture = await tx
      .getRepository(CaptureEntity)
      .createQueryBuilder('c')
      .addSelect('c.state')
      .where('c.id = :id', { id: captureId })
      .setLock('pessimistic_write')
      .getOne();
    if (!capture) return { outcome: { kind: 'gone' }, events: [] };
    const total = capture.chunksTotal;
    if (capture.status === 'done' || capture.status === 'failed' || seq < capture.chunksDone) {
      const next =
        capture.status === 'done' || capture.status === 'failed' || (total !== null && capture.chunksDone >= total)
          ? null
          : await this.recordedChunk(tx, captureId, capture.chunksDone, total);
      return { outcome: { kind: 'already', next }, events: [] };
    }
    if (seq > capture.chunksDone) {
      throw new ChunkOrderError(`chunk ${seq} of capture ${captureId} arrived before chunk ${capture.chunksDone}`);
    }
    const chunk = await tx.findOneBy(CaptureChunkEntity, { captureId, seq });
    if (!chunk) throw new Error(`chunk ${seq} of capture ${captureId} is not recorded`);
    const last = total !== null && seq === total - 1;

    const errors = [...capture.errors];
    const resources: DetectorResources = { ...this.opts.resources?.(capture) };
    let intelVersion = capture.intelVersion;
    if (this.opts.intel) {
      const use = this.opts.intel.forCapture(intelVersion);
      resources.intel = use.index;
      if (use.pinnedMissing !== undefined) noteIntelSwitch(errors, use.pinnedMissing, use.version, seq);
      // Re-pinned after a switch: the rest of the capture stays on the set this chunk used.
      intelVersion = use.version;
    }

    const carried = capture.state ? (this.opts.cipher.open(capture.id, capture.state) as CarriedState) : null;
    if (carried === null && seq > 0) throw new Error(`capture ${captureId} has no saved state before chunk ${seq}`);
    let baseline: CarriedBaseline | null = null;
    if (capture.baselineNetwork !== null && capture.baselineMode !== null) {
      if (carried) baseline = carried.baseline ?? null;
      else {
        if (capture.baselineMode !== 'detect') await claimBaselineForLearning(tx, capture.id, capture.baselineNetwork);
        const start = await startCaptureBaseline(tx, capture.baselineNetwork, capture.baselineMode);
        baseline = start.carried;
        if (start.note) errors.push({ offset: -1, message: start.note });
      }
    }
    // The capture's startedAt when this is its first chunk: after the locks a chunk may wait for
    // (the capture row, a learning network's baseline), before the analysis — not at the commit,
    // which made a one-chunk capture's startedAt equal its finishedAt (durationMs 0).
    const analysisStarted = new Date();
    const session = baseline && capture.baselineMode ? baselineSession(capture.baselineMode, baseline.model) : null;
    if (session) resources.baseline = session;

    const summary = new TrafficSummary();
    const pipeline = new Pipeline({
      captureId: capture.id,
      detectors: createDetectors(this.config, capture.detectors ?? undefined, resources),
      config: this.config,
      observers: [summary.observer()],
    });
    if (carried) {
      pipeline.restore(carried.pipeline);
      summary.restore(carried.summary);
    }
    const before = new Set(pipeline.findings().map((f) => f.id));
    const packetsBefore = pipeline.getStats().packets;

    const file = join(this.opts.dataDir, 'captures', capture.id, chunk.file);
    try {
      await readCapture(file, { source: capture.name, onPacket: (rec) => pipeline.push(rec) });
    } catch (err) {
      // Chunk files are cut from whole records by our own ingest: damage here is damage to our
      // storage, not to the upload (that is in capture.errors already). Fail the attempt; after
      // the last one the capture is marked failed with this reason.
      if (err instanceof CaptureError) throw new Error(`the chunk file is damaged: ${err.message}`);
      throw err;
    }

    if (last) {
      pipeline.finish();
      summary.finish();
      if (baseline && session?.learned) {
        const note = await saveCaptureBaseline(tx, baseline, session.learned);
        if (note) errors.push({ offset: -1, message: note });
      }
    }
    const stats = pipeline.getStats();
    // The same lines analyzeCapture adds, so `analyze --db` and the service report it alike.
    if (last) errors.push(...endOfCaptureNotes(capture.name, pipeline));
    const entries = pipeline.takeChangedFindingEntries();
    const changed: Finding[] = entries.map((e) => e.finding);
    await upsertFindings(tx, capture.id, entries);
    await writeSummary(tx, capture.id, summary.takeChanged(), changed);

    const now = new Date();
    const state = last
      ? null
      : this.opts.cipher.seal(capture.id, {
          pipeline: pipeline.snapshot(),
          summary: summary.snapshot(),
          baseline,
        } satisfies CarriedState);
    const status = last ? 'done' : 'analysing';
    await tx.update(
      CaptureEntity,
      { id: capture.id },
      {
        chunksDone: seq + 1,
        packets: stats.packets,
        bytes: stats.bytes,
        firstSeen: stats.firstTime === null ? null : new Date(stats.firstTime * 1000),
        lastSeen: stats.lastTime === null ? null : new Date(stats.lastTime * 1000),
        findingsDropped: stats.findingsDropped,
        status,
        startedAt: capture.startedAt ?? analysisStarted,
        finishedAt: last ? now : null,
        errors,
        state,
        intelVersion,
      },
    );
    const ms = Date.now() - started;
    await tx.update(
      CaptureChunkEntity,
      { captureId: capture.id, seq },
      { status: 'done', attempts: chunk.attempts + 1, worker: workerName, durationMs: ms, finishedAt: now },
    );

    const events: ServiceEvent[] = [
      {
        type: 'capture.progress',
        captureId: capture.id,
        status,
        chunksDone: seq + 1,
        chunksTotal: total,
        packets: stats.packets,
        bytes: stats.bytes,
      },
      ...changed.map((f): ServiceEvent => ({
        type: 'finding',
        captureId: capture.id,
        finding: f,
        created: !before.has(f.id),
      })),
    ];
    if (last) events.push({ type: 'capture.done', captureId: capture.id, status: 'done', reason: null });
    return {
      outcome: {
        kind: 'processed',
        next: last ? null : await this.recordedChunk(tx, capture.id, seq + 1, total),
        done: last,
        packets: stats.packets - packetsBefore,
        ms,
        stats,
        changedFindings: changed.length,
      },
      events,
    };
  }

  /**
   * `seq` if it can run now. A live capture's chunks are recorded while it runs (chunksTotal
   * null until it stops): the next one may not exist yet — then whoever records it enqueues it
   * (LiveChunkRecorder reads chunksDone under this same row lock, so one of the two always does).
   */
  private async recordedChunk(tx: EntityManager, captureId: string, seq: number, total: number | null) {
    if (total !== null) return seq;
    return (await tx.existsBy(CaptureChunkEntity, { captureId, seq })) ? seq : null;
  }

  /**
   * A failed attempt: the reason goes on the chunk row; on the last attempt the capture is
   * marked failed (unless it moved past this chunk meanwhile), so it never stays "analysing".
   */
  async recordFailure(captureId: string, seq: number, reason: string, final: boolean): Promise<boolean> {
    const text = reason.slice(0, 2000);
    const failed = await this.opts.dataSource.transaction(async (tx) => {
      await tx
        .createQueryBuilder()
        .update(CaptureChunkEntity)
        .set({ lastError: text, attempts: () => '"attempts" + 1' })
        .where('"captureId" = :captureId AND seq = :seq AND status = :pending', { captureId, seq, pending: 'pending' })
        .execute();
      if (!final) return false;
      const r = await tx
        .createQueryBuilder()
        .update(CaptureEntity)
        .set({ status: 'failed', reason: `chunk ${seq}: ${text}`, finishedAt: new Date(), state: null })
        .where('id = :captureId AND "chunksDone" = :seq AND status IN (:...open)', {
          captureId,
          seq,
          open: ['queued', 'analysing'],
        })
        .execute();
      return (r.affected ?? 0) > 0;
    });
    if (failed && this.opts.publish) {
      const reasonText = `chunk ${seq}: ${text}`;
      await this.opts
        .publish({ type: 'capture.done', captureId, status: 'failed', reason: reasonText })
        .catch(() => undefined);
    }
    return failed;
  }
}
