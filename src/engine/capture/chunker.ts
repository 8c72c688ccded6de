import { CaptureParser } from './capture-parser';
import type { PacketRecord } from './packet-record';
import { UnitKind } from './record-reader';

export interface CaptureChunk {
  /** 0-based position of the chunk in the capture. */
  seq: number;
  /** A standalone capture file (same format as the input). */
  data: Buffer;
  /** Frame number (1-based, whole capture) of the chunk's first packet. */
  firstFrame: number;
  packets: number;
}

export interface CaptureChunkerOptions {
  source: string;
  /** Cut after this many packets (default 100 000). */
  maxPackets?: number;
  /** Cut before a chunk's file would exceed this many bytes (default 16 MiB); one oversized record still makes a chunk. */
  maxBytes?: number;
  maxCapLen?: number;
  /** Every record as the parser frames it (the reused record: valid only during the call). */
  onPacket?: (rec: PacketRecord) => void;
  /** Each chunk as one new buffer. */
  onChunk?: (chunk: CaptureChunk) => void;
  /**
   * Instead of onChunk: each chunk as the pieces it is made of (header, then the packets), with
   * no copy — valid only during the call (write them there). For the upload API, which would
   * otherwise hold a second chunk-sized buffer beside the chunker's own.
   */
  onChunkParts?: (chunk: CaptureChunkParts) => void;
}

export interface CaptureChunkParts extends Omit<CaptureChunk, 'data'> {
  parts: Buffer[];
  byteLength: number;
}

const noop = (): void => undefined;

/**
 * Cuts a capture into standalone files at record boundaries, for workers that analyse chunks in
 * order. Each chunk repeats what a reader needs first: the pcap global header, or the current
 * pcapng SHB plus every IDB of that section seen so far (later IDBs travel inside the chunk in
 * their place). Framing is the CaptureParser's own, so the chunker agrees with the reader on
 * every file, and it throws the same CaptureErrors — after emitting the whole packets before.
 */
export class CaptureChunker {
  private readonly parser: CaptureParser;
  private readonly maxPackets: number;
  private readonly maxBytes: number;
  /** Section header (pcap header or SHB) and the section's IDBs, copied. */
  private section: Buffer | null = null;
  private interfaces: Buffer[] = [];
  private headerLen = 0;
  private body: Buffer = Buffer.alloc(0);
  private bodyLen = 0;
  private open = false;
  private chunkPackets = 0;
  private firstFrame = 1;
  private framesSeen = 0;
  private seq = 0;

  constructor(private readonly opts: CaptureChunkerOptions) {
    this.maxPackets = Math.max(1, opts.maxPackets ?? 100_000);
    this.maxBytes = Math.max(1, opts.maxBytes ?? 16 * 1024 * 1024);
    this.parser = new CaptureParser({
      source: opts.source,
      maxCapLen: opts.maxCapLen,
      onPacket: opts.onPacket ?? noop,
      onUnit: (kind, buf, start, end) => this.unit(kind, buf, start, end),
    });
  }

  /** Throws the parser's CaptureError after emitting a chunk of the whole packets before it. */
  write(buf: Buffer): void {
    try {
      this.parser.write(buf);
    } catch (e) {
      this.emitBeforeError();
      throw e;
    }
  }

  /** Emits the last chunk (or one header-only chunk for a capture without packets). */
  end(): void {
    try {
      this.parser.end();
    } catch (e) {
      this.emitBeforeError();
      throw e;
    }
    if (this.chunkPackets > 0 || (this.seq === 0 && this.section !== null)) this.emit();
  }

  /** Damaged input: everything before the damage is still analysed (DESIGN §3). */
  private emitBeforeError(): void {
    if (this.chunkPackets > 0) this.emit();
    this.chunkPackets = 0;
  }

  private unit(kind: UnitKind, buf: Buffer, start: number, end: number): void {
    const len = end - start;
    switch (kind) {
      case UnitKind.Section:
        if (this.chunkPackets > 0) this.emit();
        this.open = false;
        this.bodyLen = 0;
        this.section = Buffer.from(buf.subarray(start, end));
        this.interfaces = [];
        this.headerLen = len;
        return;
      case UnitKind.Interface:
        if (this.open) this.append(buf, start, end);
        this.interfaces.push(Buffer.from(buf.subarray(start, end)));
        this.headerLen += len;
        return;
      case UnitKind.Packet:
        if (
          this.chunkPackets > 0 &&
          (this.chunkPackets >= this.maxPackets || this.headerAtOpen + this.bodyLen + len > this.maxBytes)
        ) {
          this.emit();
        }
        if (!this.open) this.start();
        this.append(buf, start, end);
        this.chunkPackets++;
        this.framesSeen++;
        return;
      default:
        if (!this.open) this.start();
        this.append(buf, start, end);
    }
  }

  /** Header size of the open chunk (IDBs added after it opened are in its body). */
  private headerAtOpen = 0;
  private headerParts: Buffer[] = [];

  private start(): void {
    this.open = true;
    this.bodyLen = 0;
    this.chunkPackets = 0;
    this.firstFrame = this.framesSeen + 1;
    this.headerParts = this.section === null ? [] : [this.section, ...this.interfaces];
    this.headerAtOpen = this.headerLen;
  }

  private emit(): void {
    if (!this.open) this.start();
    const size = this.headerAtOpen + this.bodyLen;
    const meta = { seq: this.seq++, firstFrame: this.firstFrame, packets: this.chunkPackets };
    if (this.opts.onChunkParts) {
      const parts = [...this.headerParts, this.body.subarray(0, this.bodyLen)];
      this.opts.onChunkParts({ ...meta, parts, byteLength: size });
    } else {
      const data = Buffer.allocUnsafe(size);
      let at = 0;
      for (const part of this.headerParts) at += part.copy(data, at);
      this.body.copy(data, at, 0, this.bodyLen);
      this.opts.onChunk?.({ ...meta, data });
    }
    this.open = false;
    this.bodyLen = 0;
    this.chunkPackets = 0;
  }

  private append(buf: Buffer, start: number, end: number): void {
    const want = this.bodyLen + (end - start);
    if (want > this.body.length) {
      // Straight to a full chunk once past 1 MiB: doubling from 4 KiB to 16 MiB would leave
      // ~16 MiB of outgrown buffers for the GC (the upload API's peak RSS saw them).
      const next = this.body.length >= 1024 * 1024 ? this.maxBytes : Math.min(this.body.length * 2, this.maxBytes);
      const grown = Buffer.allocUnsafe(Math.max(want, next, 4096));
      this.body.copy(grown, 0, 0, this.bodyLen);
      this.body = grown;
    }
    buf.copy(this.body, this.bodyLen, start, end);
    this.bodyLen = want;
  }
}
