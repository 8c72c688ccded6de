import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { ANALYSIS_QUEUE, analysisJobId, redisOptions, type AnalysisJobData } from './analysis-queue';

/**
 * Producer side of the `analysis` queue, for the API (uploads, deletes) and the workers (the
 * next chunk after a commit). Retries with exponential back-off come from settings; a job that
 * exhausts them is handled by the worker (capture marked failed with the reason).
 */
export class AnalysisQueue {
  readonly queue: Queue<AnalysisJobData>;

  constructor(settings: Settings) {
    this.queue = new Queue<AnalysisJobData>(ANALYSIS_QUEUE, {
      connection: redisOptions(settings),
      prefix: settings.redisPrefix,
      defaultJobOptions: {
        attempts: settings.worker.attempts,
        backoff: { type: 'exponential', delay: settings.worker.backoffMs },
        removeOnComplete: { count: 1000 },
        removeOnFail: { count: 1000 },
      },
    });
  }

  /** Idempotent: the job id is (capture, seq), so a second add of a waiting or active job is ignored. */
  async enqueue(captureId: string, seq: number): Promise<void> {
    await this.queue.add('chunk', { captureId, seq }, { jobId: analysisJobId(captureId, seq) });
  }

  /** Removes the capture's waiting/delayed jobs (an active one finds its capture gone and stops). */
  async removeCaptureJobs(captureId: string, chunks: number): Promise<void> {
    for (let seq = 0; seq < chunks; seq++) {
      const job = await this.queue.getJob(analysisJobId(captureId, seq));
      if (job) await job.remove().catch(() => undefined); // active (locked) jobs cannot be removed
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

@Injectable()
export class AnalysisQueueService extends AnalysisQueue implements OnModuleDestroy {
  constructor(@Inject(SETTINGS) settings: Settings) {
    super(settings);
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }
}
