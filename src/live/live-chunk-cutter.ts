import type { PacketRecord } from '../engine/capture/packet-record';
import { encodePcapHeader, writeRecordHeader } from '../engine/capture/pcap.writer';

export interface LiveChunk {
  seq: number;
  /** Frame number (1-based, whole session) of the chunk's first packet. */
  firstFrame: number;
  packets: number;
  /** The chunk file: a classic pcap (header + records), valid only during onChunk. */
  parts: Buffer[];
  fileBytes: number;
  /** Capture time of its first and last packet (seconds), null for an empty closing chunk. */
  firstTime: number | null;
  lastTime: number | null;
}

export interface LiveChunkCutterOptions {
  linkType: number;
  snaplen: number;
  maxPackets: number;
  maxBytes: number;
  /** Wall-clock age at which an open chunk is cut (findings within seconds on a quiet line). */
  maxMs: number;
  /** Where a resumed session continues. */
  firstSeq?: number;
  firstFrame?: number;
  onChunk: (chunk: LiveChunk) => void;
}

const RECORD_HEADER = 16;
const FILE_HEADER = 24;

/**
 * Cuts live packets into chunk files for the workers — the same classic pcap files the upload
 * ingest writes — by count, size or age, whichever comes first. Where the cuts fall does not
 * change the findings (chunk parity of the engine), only how soon they appear.
 */
export class LiveChunkCutter {
  private readonly header: Buffer;
  private body: Buffer;
  private bodyLen = 0;
  private packets = 0;
  private seq: number;
  private frame: number;
  private openedAt = 0;
  private firstTime: number | null = null;
  private lastTime: number | null = null;

  constructor(private readonly opts: LiveChunkCutterOptions) {
    this.header = encodePcapHeader({ linkType: opts.linkType, snaplen: opts.snaplen });
    this.body = Buffer.allocUnsafe(Math.min(opts.maxBytes, 1024 * 1024));
    this.seq = opts.firstSeq ?? 0;
    this.frame = (opts.firstFrame ?? 1) - 1;
  }

  /** Packets cut into chunks so far, plus those waiting in the open chunk. */
  get framesSeen(): number {
    return this.frame;
  }

  get nextSeq(): number {
    return this.seq;
  }

  /** nowMs: wall time, read only when the packet opens a chunk (Date.now() per packet costs more than the copy). */
  push(rec: PacketRecord, nowMs?: number): void {
    const len = RECORD_HEADER + rec.capLen;
    if (
      this.packets > 0 &&
      (this.packets >= this.opts.maxPackets || FILE_HEADER + this.bodyLen + len > this.opts.maxBytes)
    ) {
      this.cut();
    }
    if (this.packets === 0) this.openedAt = nowMs ?? Date.now();
    this.reserve(len);
    writeRecordHeader(this.body, this.bodyLen, rec.tsSec, rec.tsNsec, rec.capLen, rec.origLen, false);
    rec.buf.copy(this.body, this.bodyLen + RECORD_HEADER, rec.offset, rec.offset + rec.capLen);
    this.bodyLen += len;
    this.packets++;
    this.frame++;
    const t = rec.tsSec + rec.tsNsec / 1e9;
    if (this.firstTime === null) this.firstTime = t;
    this.lastTime = t;
  }

  /** Cuts the open chunk once it is maxMs old. */
  tick(nowMs: number): void {
    if (this.packets > 0 && nowMs - this.openedAt >= this.opts.maxMs) this.cut();
  }

  /**
   * Cuts what is open. `closing`: the session ends here — a chunk is emitted even without
   * packets, so the capture always has a last chunk for the workers to finish it with.
   */
  flush(closing: boolean): void {
    if (this.packets > 0 || closing) this.cut();
  }

  private cut(): void {
    const chunk: LiveChunk = {
      seq: this.seq++,
      firstFrame: this.frame - this.packets + 1,
      packets: this.packets,
      parts: [this.header, this.body.subarray(0, this.bodyLen)],
      fileBytes: FILE_HEADER + this.bodyLen,
      firstTime: this.firstTime,
      lastTime: this.lastTime,
    };
    this.bodyLen = 0;
    this.packets = 0;
    this.firstTime = null;
    this.lastTime = null;
    this.opts.onChunk(chunk);
  }

  private reserve(len: number): void {
    const want = this.bodyLen + len;
    if (want <= this.body.length) return;
    const grown = Buffer.allocUnsafe(Math.max(want, Math.min(this.body.length * 2, this.opts.maxBytes)));
    this.body.copy(grown, 0, 0, this.bodyLen);
    this.body = grown;
  }
}
