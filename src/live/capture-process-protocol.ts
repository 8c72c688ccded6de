import type { LiveCaptureErrorCode } from './live-capture-error';

/**
 * The API process and a live session's capture process (capture-process.ts) talk over Node's
 * IPC channel. The capture runs in its own process because libpcap's dispatch loop does not
 * return while packets keep arriving: in the API it would stall every request under load, and
 * an exception inside it ends the process (node_pcap calls FatalException).
 */
export interface CaptureJob {
  iface: string;
  filter: string;
  snaplen: number;
  promiscuous: boolean;
  bufferBytes: number;
  chunkMs: number;
  chunkPackets: number;
  chunkBytes: number;
  /** Absolute directory the chunk files go to (the capture's). */
  dir: string;
  /** Where a resumed session continues. */
  firstSeq: number;
  firstFrame: number;
  /** How often counters are reported. */
  statsMs: number;
}

export interface CaptureCounters {
  /** Packets and bytes (captured lengths) cut into chunks or waiting in the open one. */
  packets: number;
  bytes: number;
  /** libpcap's pcap_stats for this run. */
  received: number;
  dropped: number;
  ifDropped: number;
}

export interface ChunkMessage {
  type: 'chunk';
  seq: number;
  file: string;
  firstFrame: number;
  packets: number;
  fileBytes: number;
  firstTime: number | null;
  lastTime: number | null;
  /** The session's last chunk (it was stopped). */
  closing: boolean;
}

export type FromCapture =
  | { type: 'ready'; linkType: number }
  | { type: 'error'; code: LiveCaptureErrorCode; message: string }
  | ChunkMessage
  | ({ type: 'stats' } & CaptureCounters)
  /** After the last chunk message: it exits next. */
  | ({ type: 'ended'; closing: boolean } & CaptureCounters);

/** stop: cut a closing chunk and exit (the capture is then analysed to its end). pause: cut what is open, exit (resumed later). */
export type ToCapture = { type: 'stop' } | { type: 'pause' };
