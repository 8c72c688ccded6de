import type { CaptureEntity } from '../captures/capture.entity';
import { linkTypeName } from '../engine/capture/link-types';
import type { LiveSessionEntity } from './live-session.entity';

export interface LiveCountersView {
  packets: number;
  bytes: number;
  pcapReceived: number;
  pcapDropped: number;
  ifDropped: number;
  chunksCut: number;
  lastPacketAt: Date | null;
}

/** GET /live/:id: the session, its libpcap counters and how far the workers are behind it. */
export function liveSessionView(
  s: LiveSessionEntity,
  capture: Pick<CaptureEntity, 'status' | 'chunksDone' | 'chunksTotal' | 'lastSeen' | 'packets'> | null,
  fresh: LiveCountersView | null,
) {
  const c = fresh ?? s;
  const analysed = capture?.chunksDone ?? 0;
  const lastAnalysed = capture?.lastSeen ?? null;
  return {
    id: s.id,
    captureId: s.captureId,
    interface: s.interface,
    filter: s.filter,
    snaplen: s.snaplen,
    promiscuous: s.promiscuous,
    chunkMs: s.chunkMs,
    chunkPackets: s.chunkPackets,
    chunkBytes: s.chunkBytes,
    linkType: s.linkType === null ? null : linkTypeName(s.linkType),
    host: s.host,
    status: s.status,
    reason: s.reason,
    resumes: s.resumes,
    createdAt: s.createdAt,
    stoppedAt: s.stoppedAt,
    heartbeatAt: s.heartbeatAt,
    packets: c.packets,
    bytes: c.bytes,
    /** libpcap's pcap_stats, summed over the session's runs: drops are shown, never hidden. */
    pcap: { received: c.pcapReceived, dropped: c.pcapDropped, ifDropped: c.ifDropped },
    chunks: { cut: c.chunksCut, analysed, queued: Math.max(0, c.chunksCut - analysed) },
    /** How far analysis is behind capture: in chunks, and in packet time (newest captured − newest analysed). */
    lag: {
      chunks: Math.max(0, c.chunksCut - analysed),
      seconds:
        c.lastPacketAt && lastAnalysed
          ? Math.max(0, (c.lastPacketAt.getTime() - lastAnalysed.getTime()) / 1000)
          : c.lastPacketAt
            ? null
            : 0,
    },
    lastPacketAt: c.lastPacketAt,
    capture: capture
      ? {
          status: capture.status,
          chunksDone: capture.chunksDone,
          chunksTotal: capture.chunksTotal,
          packets: capture.packets,
        }
      : null,
  };
}

export type LiveSessionView = ReturnType<typeof liveSessionView>;
