import { Inject, Injectable, Logger, UnprocessableEntityException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Not, type DataSource } from 'typeorm';
import type { AuthenticatedRequest } from '../auth/principal';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { AnalysisQueueService } from '../queue/analysis-queue.service';
import { captureDir } from './capture-dir';
import type { IngestResult } from './capture-ingest';
import { insertCapture } from './capture-records';
import { toCaptureView, type CaptureView } from './capture-view';
import { CaptureEntity } from './capture.entity';
import { CapturesService } from './captures.service';
import { UploadByteBudget } from './upload-byte-budget';
import { analysisKey, type UploadOptions } from './upload-options';
import { assertAcceptedType, assertDeclaredLength, receiveMultipart, receiveRaw } from './upload-receiver';

const ENQUEUE_WAIT_MS = 5000;

export interface UploadOutcome {
  view: CaptureView & { duplicate: boolean };
  /** 202 a new capture was queued; 200 the same file was already stored with the same analysis options. */
  status: 200 | 202;
}

/**
 * `POST /captures`: the capture gets its id before a byte is read, the body streams into its
 * directory as chunk files, and then — under an advisory lock on the hash, so two identical
 * uploads at once cannot both be stored — it is either recognised as a duplicate (same bytes and
 * same analysis options: the new files go) or recorded and its first chunk enqueued. Any failure
 * removes the directory. The bytes count against the caller's upload byte budget as they arrive.
 */
@Injectable()
export class CaptureUploadService {
  private readonly log = new Logger('CaptureUpload');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queue: AnalysisQueueService,
    private readonly captures: CapturesService,
    private readonly budget: UploadByteBudget,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async upload(req: Request, res: Response, options: UploadOptions): Promise<UploadOutcome> {
    const shape = assertAcceptedType(req);
    assertDeclaredLength(req, this.settings.upload.maxBytes);
    // The same bucket as the request limits (ApiThrottlerGuard): per key, else per address.
    const principal = (req as Request & AuthenticatedRequest).principal;
    const tracker = principal ? `key:${principal.keyId}` : `ip:${req.ip ?? 'unknown'}`;
    await this.budget.assertAvailable(tracker);
    const id = randomUUID();
    const dir = captureDir(this.settings, id);
    let running: Promise<unknown> = Promise.resolve();
    const receive = {
      dir,
      name: options.name,
      maxBytes: this.settings.upload.maxBytes,
      maxGzipRatio: this.settings.upload.maxGzipRatio,
      maxEmptyRecordShare: this.settings.upload.maxEmptyRecordShare,
      charge: (bytes: number) => this.budget.charge(tracker, bytes),
      chunkMaxBytes: this.settings.chunk.maxBytes,
      chunkMaxPackets: this.settings.chunk.maxPackets,
      onIngest: (p: Promise<unknown>) => (running = p),
    };
    let stored = false;
    try {
      const got = shape === 'raw' ? await receiveRaw(req, receive) : await receiveMultipart(req, res, receive);
      if (got.ingest.chunks.every((c) => c.packets === 0)) {
        throw new UnprocessableEntityException(`${got.name}: the capture holds no packets`);
      }
      const result = await this.record(id, got.name, got.ingest, options);
      stored = !result.duplicate;
      if (result.duplicate) {
        return { status: 200, view: { ...(await this.captures.view(result.id)), duplicate: true } };
      }
      await this.enqueueFirstChunk(id);
      return { status: 202, view: { ...result.view, duplicate: false } };
    } finally {
      if (!stored) {
        // Wait for the ingest to stop writing (it has, unless the refusal came from the form).
        await running.catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      }
    }
  }

  private async record(
    id: string,
    name: string,
    ingest: IngestResult,
    options: UploadOptions,
  ): Promise<{ duplicate: true; id: string } | { duplicate: false; view: CaptureView }> {
    return this.db.transaction(async (m) => {
      // Serialises uploads of the same bytes until commit; other hashes are not blocked.
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [ingest.sha256]);
      if (!options.force) {
        // A duplicate is the same bytes analysed the same way: other detectors or another baseline is a new analysis.
        const wanted = analysisKey(options);
        const same = await m.find(CaptureEntity, {
          where: { sha256: ingest.sha256, status: Not('failed' as const) },
          order: { createdAt: 'ASC' },
          select: { id: true, detectors: true, baselineNetwork: true, baselineMode: true },
        });
        const existing = same.find(
          (c) =>
            analysisKey({
              detectors: c.detectors,
              baseline:
                c.baselineNetwork === null ? null : { network: c.baselineNetwork, mode: c.baselineMode ?? 'auto' },
            }) === wanted,
        );
        if (existing) return { duplicate: true as const, id: existing.id };
      }
      const capture = await insertCapture(m, {
        id,
        name,
        source: 'upload',
        ingest,
        detectors: options.detectors,
        baseline: options.baseline,
      });
      const saved = await m.findOneByOrFail(CaptureEntity, { id: capture.id });
      return { duplicate: false as const, view: toCaptureView(saved) };
    });
  }

  /**
   * The capture is recorded as queued either way: when Redis is unreachable the workers'
   * reconciler enqueues the first chunk later (settings.worker.reconcileMs), so the upload stands.
   * The wait is bounded because the queue's connection retries forever (maxRetriesPerRequest
   * null): an add still pending when Redis returns is harmless, the job id being (capture, seq).
   */
  private async enqueueFirstChunk(id: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ENQUEUE_WAIT_MS} ms`)), ENQUEUE_WAIT_MS);
    });
    try {
      await Promise.race([this.queue.enqueue(id, 0), timeout]);
    } catch (err) {
      this.log.warn(
        `capture ${id} stored but not enqueued (${(err as Error).message}); the reconciler will enqueue it`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
