import { ApiProperty } from '@nestjs/swagger';
import { SEVERITIES, type Severity } from '../engine/finding';
import { CAPTURE_STATUSES, type CaptureEntity, type CaptureStatus } from './capture.entity';

/**
 * What the API shows of a capture. Built field by field from the entity, so a column added
 * later (and the encrypted pipeline `state`) never leaks into answers by accident.
 */
export class CaptureProgressView {
  @ApiProperty() chunksDone!: number;
  @ApiProperty({ type: Number, nullable: true }) chunksTotal!: number | null;
  @ApiProperty({ description: 'packets analysed so far' }) packets!: number;
  @ApiProperty({ description: 'packet bytes analysed so far' }) bytes!: number;
  @ApiProperty({ description: 'chunks done, 0–100' }) percent!: number;
}

export class CaptureTimingsView {
  @ApiProperty() createdAt!: string;
  @ApiProperty({ type: String, nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true }) durationMs!: number | null;
}

export class SeverityCountsView {
  @ApiProperty() info!: number;
  @ApiProperty() low!: number;
  @ApiProperty() medium!: number;
  @ApiProperty() high!: number;
  @ApiProperty() critical!: number;
}

export class FindingCountsView {
  @ApiProperty() total!: number;
  @ApiProperty({ type: SeverityCountsView }) bySeverity!: SeverityCountsView;
}

export class CaptureErrorView {
  @ApiProperty({ description: 'byte offset in the capture' }) offset!: number;
  @ApiProperty() message!: string;
}

export class CaptureBaselineView {
  @ApiProperty({ description: 'the network whose stored baseline the capture uses' }) network!: string;
  @ApiProperty({ enum: ['auto', 'learn', 'detect'] }) mode!: string;
}

export class CaptureView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: "the upload's base name, sanitised (display only)" }) name!: string;
  @ApiProperty({ enum: ['upload', 'cli', 'live'] }) source!: string;
  @ApiProperty({ type: String, nullable: true, description: 'SHA-256 of the capture bytes (after gzip decoding)' })
  sha256!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ['pcap', 'pcapng'] }) format!: string | null;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty({ enum: CAPTURE_STATUSES }) status!: CaptureStatus;
  @ApiProperty({ type: String, nullable: true, description: 'why it failed' }) reason!: string | null;
  @ApiProperty({ type: [CaptureErrorView], description: 'damage found in the input (truncated tail …)' })
  errors!: CaptureErrorView[];
  @ApiProperty({ type: CaptureProgressView }) progress!: CaptureProgressView;
  @ApiProperty({ type: CaptureTimingsView }) timings!: CaptureTimingsView;
  @ApiProperty({ type: FindingCountsView }) findings!: FindingCountsView;
  @ApiProperty({ type: [String], nullable: true, description: 'detector ids run; null = all' })
  detectors!: string[] | null;
  @ApiProperty({ type: CaptureBaselineView, nullable: true, description: 'upload ?baseline= and ?baselineMode=' })
  baseline!: CaptureBaselineView | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'threat-intel indicator set the capture is analysed with (pinned at its first chunk)',
  })
  intelVersion!: string | null;
}

export class UploadedCaptureView extends CaptureView {
  @ApiProperty({ description: 'true when the same file was already stored (the existing capture is shown)' })
  duplicate!: boolean;
}

export class CapturePageView {
  @ApiProperty({ type: [CaptureView] }) items!: CaptureView[];
  @ApiProperty() page!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() total!: number;
}

export class ErrorView {
  @ApiProperty() statusCode!: number;
  @ApiProperty() error!: string;
  @ApiProperty({ description: 'the reason' }) message!: string;
}

export type SeverityCounts = Record<Severity, number>;

export function emptySeverityCounts(): SeverityCounts {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityCounts;
}

export function toCaptureView(c: CaptureEntity, counts: SeverityCounts = emptySeverityCounts()): CaptureView {
  const total = c.chunksTotal;
  const percent = c.status === 'done' ? 100 : total ? Math.floor((c.chunksDone / total) * 1000) / 10 : 0;
  return {
    id: c.id,
    name: c.name,
    source: c.source,
    sha256: c.sha256,
    format: c.format,
    sizeBytes: c.sizeBytes,
    status: c.status,
    reason: c.reason,
    errors: c.errors,
    progress: { chunksDone: c.chunksDone, chunksTotal: total, packets: c.packets, bytes: c.bytes, percent },
    timings: {
      createdAt: c.createdAt.toISOString(),
      startedAt: c.startedAt?.toISOString() ?? null,
      finishedAt: c.finishedAt?.toISOString() ?? null,
      durationMs: c.startedAt && c.finishedAt ? c.finishedAt.getTime() - c.startedAt.getTime() : null,
    },
    findings: { total: Object.values(counts).reduce((a, b) => a + b, 0), bySeverity: counts },
    detectors: c.detectors,
    baseline: c.baselineNetwork && c.baselineMode ? { network: c.baselineNetwork, mode: c.baselineMode } : null,
    intelVersion: c.intelVersion,
  };
}
