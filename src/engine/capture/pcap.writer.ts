import { createWriteStream, type WriteStream } from 'node:fs';
import type { PacketRecord } from './packet-record';

export interface PcapHeaderOptions {
  linkType: number;
  /** Default 262144, the largest captured length readers accept. */
  snaplen?: number;
  /** Write the nanosecond magic (a1b23c4d) and nanosecond fractions. */
  nanosecond?: boolean;
}

export interface PcapPacket {
  tsSec: number;
  tsNsec: number;
  /** Length on the wire; defaults to data.length. */
  origLen?: number;
  data: Buffer;
}

const RECORD_HEADER_LEN = 16;
const DEFAULT_SNAPLEN = 262144;

/** The 24-byte classic pcap global header, little-endian, version 2.4. */
export function encodePcapHeader(opts: PcapHeaderOptions): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(opts.nanosecond === true ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  // thiszone and sigfigs stay 0, as every modern writer does.
  b.writeUInt32LE(opts.snaplen ?? DEFAULT_SNAPLEN, 16);
  b.writeUInt32LE(opts.linkType & 0xffff, 20);
  return b;
}

/** One record: 16-byte header + data. Microsecond files truncate the nanoseconds. */
export function encodePcapRecord(pkt: PcapPacket, nanosecond: boolean): Buffer {
  const b = Buffer.allocUnsafe(RECORD_HEADER_LEN + pkt.data.length);
  writeRecordHeader(b, 0, pkt.tsSec, pkt.tsNsec, pkt.data.length, pkt.origLen ?? pkt.data.length, nanosecond);
  pkt.data.copy(b, RECORD_HEADER_LEN);
  return b;
}

export function writeRecordHeader(
  b: Buffer,
  at: number,
  tsSec: number,
  tsNsec: number,
  capLen: number,
  origLen: number,
  nanosecond: boolean,
): void {
  b.writeUInt32LE(tsSec >>> 0, at);
  b.writeUInt32LE(nanosecond ? tsNsec : Math.floor(tsNsec / 1000), at + 4);
  b.writeUInt32LE(capLen, at + 8);
  b.writeUInt32LE(origLen >>> 0, at + 12);
}

export interface PcapWriterOptions extends PcapHeaderOptions {
  /** Bytes gathered before one write to the sink (default 64 KiB). */
  batchBytes?: number;
}

/**
 * Writes a classic pcap to a sink function or a file. Records are gathered into batches so a
 * file gets few large writes; `write` returns false when the file stream wants the caller to
 * wait (`await writer.drain()`), which keeps memory flat when copying big captures.
 */
export class PcapWriter {
  private readonly sink: (buf: Buffer) => boolean;
  private readonly stream: WriteStream | null;
  private readonly nanosecond: boolean;
  private readonly batchBytes: number;
  private batch: Buffer;
  private batchLen = 0;
  private closed = false;
  private streamError: Error | null = null;
  private draining: Promise<void> | null = null;
  /** Packets written so far. */
  packets = 0;

  constructor(target: string | ((buf: Buffer) => void), opts: PcapWriterOptions) {
    this.nanosecond = opts.nanosecond === true;
    this.batchBytes = Math.max(opts.batchBytes ?? 65536, 64);
    this.batch = Buffer.allocUnsafe(this.batchBytes);
    if (typeof target === 'string') {
      // Raw packets: readable by the owner only, whatever the umask.
      const stream = createWriteStream(target, { mode: 0o600 });
      stream.on('error', (e) => {
        this.streamError = e;
      });
      this.stream = stream;
      this.sink = (buf) => stream.write(buf);
    } else {
      this.stream = null;
      this.sink = (buf) => {
        target(buf);
        return true;
      };
    }
    this.append(encodePcapHeader(opts), 0, 24);
  }

  /** Writes one packet; false means "await drain() before writing much more". */
  write(pkt: PcapPacket): boolean {
    return this.writeParts(pkt.tsSec, pkt.tsNsec, pkt.origLen ?? pkt.data.length, pkt.data, 0, pkt.data.length);
  }

  /** Writes a record as a reader handed it out (copies its bytes, so the record may be reused). */
  writeRecord(rec: PacketRecord): boolean {
    return this.writeParts(rec.tsSec, rec.tsNsec, rec.origLen, rec.buf, rec.offset, rec.offset + rec.capLen);
  }

  /**
   * Resolves when the file stream has room again (at once for a sink function). Callers inside a
   * synchronous packet callback may ask many times before the stream drains: they share one wait.
   */
  drain(): Promise<void> {
    const s = this.stream;
    if (s === null || !s.writableNeedDrain) return Promise.resolve();
    if (this.draining !== null) return this.draining;
    this.draining = new Promise<void>((resolve, reject) => {
      const done = (): void => {
        s.off('error', fail);
        this.draining = null;
        resolve();
      };
      const fail = (e: Error): void => {
        s.off('drain', done);
        this.draining = null;
        reject(e);
      };
      s.once('drain', done);
      s.once('error', fail);
    });
    return this.draining;
  }

  /** Flushes what is batched and, for a file, closes it; resolves once it is on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    const s = this.stream;
    if (s === null) return;
    if (this.streamError !== null) throw this.streamError;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.end(() => resolve());
    });
    if (this.streamError !== null) throw this.streamError;
  }

  private writeParts(tsSec: number, tsNsec: number, origLen: number, src: Buffer, start: number, end: number): boolean {
    if (this.closed) throw new Error('PcapWriter: write after close');
    if (this.streamError !== null) throw this.streamError;
    const capLen = end - start;
    if (this.batchLen + RECORD_HEADER_LEN + capLen > this.batch.length) {
      this.flush();
      if (RECORD_HEADER_LEN + capLen > this.batch.length) this.batch = Buffer.allocUnsafe(RECORD_HEADER_LEN + capLen);
    }
    writeRecordHeader(this.batch, this.batchLen, tsSec, tsNsec, capLen, origLen, this.nanosecond);
    src.copy(this.batch, this.batchLen + RECORD_HEADER_LEN, start, end);
    this.batchLen += RECORD_HEADER_LEN + capLen;
    this.packets++;
    return this.stream === null || !this.stream.writableNeedDrain;
  }

  private append(src: Buffer, start: number, end: number): void {
    src.copy(this.batch, this.batchLen, start, end);
    this.batchLen += end - start;
  }

  /** Hands the batch to the sink; the batch buffer is given away, so a fresh one is started. */
  private flush(): void {
    if (this.batchLen === 0) return;
    const out = this.batch.subarray(0, this.batchLen);
    this.batch = Buffer.allocUnsafe(this.batchBytes);
    this.batchLen = 0;
    this.sink(out);
  }
}
