import { GoneException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { rm } from 'node:fs/promises';
import type { Repository } from 'typeorm';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { isSeverity } from '../engine/finding';
import { FindingEntity } from '../findings/finding.entity';
import { AnalysisQueueService } from '../queue/analysis-queue.service';
import { captureDir } from './capture-dir';
import { CaptureChunkEntity } from './capture-chunk.entity';
import { exportCapture, type CaptureExport } from './capture-export';
import { CaptureEntity, type CaptureStatus } from './capture.entity';
import {
  emptySeverityCounts,
  toCaptureView,
  type CapturePageView,
  type CaptureView,
  type SeverityCounts,
} from './capture-view';

/** Reading and deleting captures (uploads are CaptureUploadService's). */
@Injectable()
export class CapturesService {
  constructor(
    @InjectRepository(CaptureEntity) private readonly captures: Repository<CaptureEntity>,
    @InjectRepository(FindingEntity) private readonly findings: Repository<FindingEntity>,
    private readonly queue: AnalysisQueueService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async view(id: string): Promise<CaptureView> {
    const capture = await this.captures.findOneBy({ id });
    if (!capture) throw new NotFoundException(`no capture with id ${id}`);
    return toCaptureView(capture, (await this.severityCounts([id])).get(id));
  }

  async page(page: number, limit: number, status: CaptureStatus | null): Promise<CapturePageView> {
    const [rows, total] = await this.captures.findAndCount({
      where: status ? { status } : {},
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: (page - 1) * limit,
      take: limit,
    });
    const counts = await this.severityCounts(rows.map((r) => r.id));
    return { items: rows.map((r) => toCaptureView(r, counts.get(r.id))), page, limit, total };
  }

  /**
   * Jobs first (so none starts), then the rows (findings and chunks cascade), then the files: a
   * worker already running a chunk finds its capture gone when it commits and stops.
   */
  async remove(id: string): Promise<void> {
    const capture = await this.captures.findOne({ where: { id }, select: { id: true, chunksTotal: true } });
    if (!capture) throw new NotFoundException(`no capture with id ${id}`);
    // A live capture's total is open until it stops: its recorded chunks are what may have jobs.
    const chunks = capture.chunksTotal ?? (await this.captures.manager.countBy(CaptureChunkEntity, { captureId: id }));
    await this.queue.removeCaptureJobs(id, chunks);
    await this.captures.delete({ id });
    await rm(captureDir(this.settings, id), { recursive: true, force: true });
  }

  /** The stored chunks as one capture file (GET /captures/:id/pcap). */
  async export(id: string): Promise<CaptureExport & { format: 'pcap' | 'pcapng' }> {
    const capture = await this.captures.findOne({ where: { id }, select: { id: true, format: true } });
    if (!capture) throw new NotFoundException(`no capture with id ${id}`);
    const chunks = await this.captures.manager.find(CaptureChunkEntity, {
      select: ['seq', 'file', 'packets', 'prunedAt'],
      where: { captureId: id },
    });
    const format = capture.format === 'pcapng' ? 'pcapng' : 'pcap';
    const out = await exportCapture(captureDir(this.settings, id), format, chunks);
    if (out.exported === 0) {
      out.stream.destroy();
      throw new GoneException(
        chunks.length === 0
          ? `capture ${id} has no stored packets yet`
          : `the packets of capture ${id} are no longer stored (live retention: LIVE_RETAIN_BYTES / LIVE_RETAIN_SECONDS)`,
      );
    }
    return { ...out, format };
  }

  /** Findings per severity for each capture (one GROUP BY). */
  private async severityCounts(ids: string[]): Promise<Map<string, SeverityCounts>> {
    const out = new Map<string, SeverityCounts>();
    if (ids.length === 0) return out;
    const rows = await this.findings
      .createQueryBuilder('f')
      .select('f.captureId', 'captureId')
      .addSelect('f.severity', 'severity')
      .addSelect('COUNT(*)', 'n')
      .where('f.captureId IN (:...ids)', { ids })
      .groupBy('f.captureId')
      .addGroupBy('f.severity')
      .getRawMany<{ captureId: string; severity: string; n: string }>();
    for (const r of rows) {
      const counts = out.get(r.captureId) ?? emptySeverityCounts();
      if (isSeverity(r.severity)) counts[r.severity] = Number(r.n);
      out.set(r.captureId, counts);
    }
    return out;
  }
}
