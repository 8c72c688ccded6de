import { CaptureError } from './capture-error';
import { describeFirstBytes } from './first-bytes';
import { newPacketRecord, type PacketRecord } from './packet-record';
import { isPcapMagic, PcapReader } from './pcap.reader';
import { PCAPNG_SHB, PcapngReader } from './pcapng.reader';
import type { RecordReader, UnitListener } from './record-reader';

export const DEFAULT_MAX_CAP_LEN = 262144;
/** Bytes needed to tell the format apart and to name the first bytes of a non-capture. */
const DETECT_LEN = 8;

export interface CaptureParserOptions {
  /** File name, "stdin" or upload name: used in every error. */
  source: string;
  /** Called for every record with ONE reused PacketRecord (valid only during the call). */
  onPacket: (rec: PacketRecord) => void;
  /** Captured lengths above this are 'bad-length' (default 256 KiB, as libpcap/Wireshark). */
  maxCapLen?: number;
  /** Byte range and kind of every framed unit (headers, packets, other blocks); for the chunker. */
  onUnit?: UnitListener;
}

export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * Push parser for pcap and pcapng: feed it pieces of any size. Whole units inside a piece are
 * read in place (zero-copy); only a unit that straddles two pieces is gathered in a small
 * buffer, which never grows past that unit's validated length.
 */
export class CaptureParser {
  private readonly source: string;
  private readonly rec = newPacketRecord();
  private reader: RecordReader | null = null;
  private fmt: CaptureFormat | null = null;
  private pending: Buffer = Buffer.alloc(0);
  private pendingLen = 0;
  private consumed = 0;
  private received = 0;
  private failure: unknown = null;

  constructor(private readonly opts: CaptureParserOptions) {
    this.source = opts.source;
  }

  get format(): CaptureFormat | null {
    return this.fmt;
  }

  get linkTypes(): number[] {
    return this.reader === null ? [] : this.reader.linkTypes;
  }

  get packets(): number {
    return this.reader === null ? 0 : this.reader.packets;
  }

  get bytesConsumed(): number {
    return this.consumed;
  }

  write(chunk: Buffer): void {
    if (this.failure !== null) throw this.failure;
    try {
      this.feed(chunk);
    } catch (e) {
      // A parser that failed once stays failed: its position is no longer trustworthy.
      this.failure = e;
      throw e;
    }
  }

  end(): void {
    if (this.failure !== null) throw this.failure;
    const err = this.endError();
    if (err !== null) {
      this.failure = err;
      throw err;
    }
  }

  private endError(): CaptureError | null {
    if (this.received === 0) return new CaptureError('empty', this.source, 0, 'the input is empty (0 bytes)');
    if (this.reader === null) {
      if (this.isMagicPrefix()) {
        return new CaptureError(
          'truncated',
          this.source,
          0,
          `input ends after ${this.pendingLen} byte(s), inside the capture file header`,
        );
      }
      return new CaptureError('not-a-capture', this.source, 0, describeFirstBytes(this.pending, 0, this.pendingLen));
    }
    if (this.pendingLen > 0) {
      const what = this.consumed === 0 ? 'the file header' : this.fmt === 'pcap' ? 'a packet record' : 'a block';
      return new CaptureError(
        'truncated',
        this.source,
        this.consumed,
        `input ends inside ${what} (${this.pendingLen} of ${this.reader.need}${this.pendingLen < 8 ? '+' : ''} bytes present)`,
      );
    }
    return null;
  }

  private feed(chunk: Buffer): void {
    const len = chunk.length;
    this.received += len;
    let pos = 0;
    // First complete the unit that straddles the previous piece (or the format magic).
    while (this.pendingLen > 0 || this.reader === null) {
      if (pos >= len) return;
      const need = this.reader === null ? DETECT_LEN : this.reader.need;
      const take = Math.min(need - this.pendingLen, len - pos);
      this.appendPending(chunk, pos, take);
      pos += take;
      if (this.pendingLen < need) return;
      if (this.reader === null) {
        this.detect();
        continue;
      }
      const stop = this.reader.run(this.pending, 0, this.pendingLen, this.consumed);
      if (stop > 0) {
        this.consumed += stop;
        this.pending.copyWithin(0, stop, this.pendingLen);
        this.pendingLen -= stop;
      } else if (this.reader.need <= this.pendingLen) {
        throw new Error(`capture reader made no progress at byte ${this.consumed} (internal error)`);
      }
    }
    if (pos >= len) return;
    const stop = this.reader.run(chunk, pos, len, this.consumed);
    this.consumed += stop - pos;
    if (stop < len) this.appendPending(chunk, stop, len - stop);
  }

  private detect(): void {
    const magic = this.pending.readUInt32LE(0);
    const ctx = {
      source: this.source,
      maxCapLen: this.opts.maxCapLen ?? DEFAULT_MAX_CAP_LEN,
      rec: this.rec,
      onPacket: this.opts.onPacket,
      onUnit: this.opts.onUnit,
    };
    if (isPcapMagic(magic)) {
      this.fmt = 'pcap';
      this.reader = new PcapReader(ctx);
    } else if (magic === PCAPNG_SHB) {
      this.fmt = 'pcapng';
      this.reader = new PcapngReader(ctx);
    } else {
      throw new CaptureError('not-a-capture', this.source, 0, describeFirstBytes(this.pending, 0, this.pendingLen));
    }
  }

  /** True when the few bytes seen could still be the start of a pcap/pcapng magic. */
  private isMagicPrefix(): boolean {
    const magics = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1, PCAPNG_SHB];
    for (const m of magics) {
      let ok = true;
      for (let i = 0; i < this.pendingLen && i < 4; i++) {
        if (this.pending[i] !== ((m >>> (8 * i)) & 0xff)) ok = false;
      }
      if (ok) return true;
    }
    return false;
  }

  private appendPending(src: Buffer, start: number, n: number): void {
    const want = this.pendingLen + n;
    if (want > this.pending.length) {
      // Grow with the bytes that actually arrived, never to a length field's promise.
      const grown = Buffer.allocUnsafe(Math.max(want, Math.min(this.pending.length * 2, want + 65536), 64));
      this.pending.copy(grown, 0, 0, this.pendingLen);
      this.pending = grown;
    }
    src.copy(this.pending, this.pendingLen, start, start + n);
    this.pendingLen = want;
  }
}
