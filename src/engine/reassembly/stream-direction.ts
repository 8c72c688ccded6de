/**
 * Sequence state and out-of-order buffer of ONE direction of a TCP connection.
 *
 * Offsets are JS numbers counted from the direction's initial sequence number + 1 (or from the
 * first sequence number seen when the start was missed), so they never wrap; 32-bit sequence
 * numbers are compared only as signed differences against `nextSeq`, which makes wrap-around
 * correct. Overlapping bytes are resolved first-wins (what most OS stacks do): the bytes that
 * arrived first are kept, later copies are compared and reported.
 */

/** Where a direction reports what it delivers; implemented by the reassembler. */
export interface DirectionOutput {
  data(dir: StreamDirection, offset: number, data: Buffer): void;
  gap(dir: StreamDirection, offset: number, length: number): void;
  overlap(dir: StreamDirection, offset: number, length: number, conflicting: boolean): void;
  /** Bytes added to (positive) or released from (negative) out-of-order buffers. */
  buffered(delta: number): void;
}

interface Segment {
  off: number;
  data: Buffer;
}

/**
 * What a buffered segment costs beyond its bytes (its object, the Buffer object, the array slot),
 * charged in `bufferedBytes` so the caps bound memory, not only payload: without it a peer sending
 * 1-byte segments out of order made 256 K segments per direction (gigabytes in all, and a
 * quadratic insert) under byte caps meant for full-size segments.
 */
export const SEGMENT_COST = 128;

/** Shared by every direction with nothing buffered (most of them); replaced before any insert. */
const NO_SEGS: Segment[] = [];

/** Own bytes src[off, off+len): Buffer.from(subarray) without the intermediate view. */
function copyOf(src: Buffer, off: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  src.copy(b, 0, off, off + len);
  return b;
}

export interface DirectionState {
  seen: boolean;
  nextSeq: number;
  nextOffset: number;
  fin: boolean;
  /** Buffered out-of-order segments: [offset, base64][]. */
  segs: [number, string][];
  /** Tail of delivered bytes kept to compare retransmissions with (base64). */
  hist: string;
}

export class StreamDirection {
  seen = false;
  /** Sequence number of the next byte expected in order (uint32). */
  nextSeq = 0;
  /** Stream offset of the next byte expected in order. */
  nextOffset = 0;
  fin = false;
  /** Out-of-order bytes held, each segment counted with SEGMENT_COST on top. */
  bufferedBytes = 0;
  private segs: Segment[] = NO_SEGS;
  /** Last delivered bytes, ending at nextOffset (histLen valid bytes at the end of hist). */
  private hist: Buffer | null = null;
  private histLen = 0;

  constructor(
    private readonly out: DirectionOutput,
    private readonly historyBytes: number,
  ) {}

  /** Start the sequence space: `seq` is the sequence number of stream offset 0. */
  init(seq: number): void {
    this.seen = true;
    this.nextSeq = seq >>> 0;
    this.nextOffset = 0;
  }

  /** Stream offset of sequence number `seq` (signed 32-bit distance from nextSeq). */
  offsetOf(seq: number): number {
    return this.nextOffset + ((seq - this.nextSeq) | 0);
  }

  get hasPending(): boolean {
    return this.segs.length > 0;
  }

  /** Bytes `src[srcOff, srcOff+len)` that start at stream offset `off` (src is not kept). */
  add(off: number, src: Buffer, srcOff: number, len: number): void {
    const end = off + len;
    if (off < this.nextOffset) {
      const oldEnd = end < this.nextOffset ? end : this.nextOffset;
      this.compareHistory(off, oldEnd, src, srcOff);
      if (end <= this.nextOffset) return;
      srcOff += this.nextOffset - off;
      off = this.nextOffset;
    }
    if (this.segs.length === 0 && off === this.nextOffset) {
      // The common case: in order with nothing pending; one copy, straight out.
      this.deliver(copyOf(src, srcOff, end - off));
      return;
    }
    // Insert the parts not already buffered; buffered bytes win where ranges overlap.
    const segs = this.segs;
    let i = 0;
    while (i < segs.length && segs[i].off + segs[i].data.length <= off) i++;
    while (off < end) {
      const s = i < segs.length ? segs[i] : null;
      if (s === null || s.off >= end) {
        this.insertAt(i, off, src, srcOff, end - off);
        break;
      }
      if (s.off > off) {
        const pieceEnd = s.off;
        this.insertAt(i, off, src, srcOff, pieceEnd - off);
        i++;
        srcOff += pieceEnd - off;
        off = pieceEnd;
        continue;
      }
      // s covers `off`: compare the overlapping part and skip it.
      const sEnd = s.off + s.data.length;
      const ovEnd = sEnd < end ? sEnd : end;
      const conflicting = src.compare(s.data, off - s.off, ovEnd - s.off, srcOff, srcOff + (ovEnd - off)) !== 0;
      this.out.overlap(this, off, ovEnd - off, conflicting);
      srcOff += ovEnd - off;
      off = ovEnd;
      i++;
    }
    this.drain();
  }

  /** Give up on the hole before the first pending segment: report it as a gap and go on. */
  skipHole(): boolean {
    if (this.segs.length === 0) return false;
    const first = this.segs[0];
    if (first.off > this.nextOffset) {
      this.out.gap(this, this.nextOffset, first.off - this.nextOffset);
      this.nextSeq = (this.nextSeq + (first.off - this.nextOffset)) >>> 0;
      this.nextOffset = first.off;
      this.histLen = 0; // bytes before a gap are not the bytes just before nextOffset any more
    }
    this.drain();
    return true;
  }

  /** The peer acknowledged up to `ackOffset`: holes below it will never be filled by us. */
  acked(ackOffset: number): void {
    while (this.segs.length > 0 && this.segs[0].off < ackOffset && this.nextOffset < ackOffset) this.skipHole();
  }

  /** Deliver everything pending, marking holes as gaps. */
  flushAll(): void {
    while (this.skipHole()) {
      /* each call removes at least one segment */
    }
  }

  private insertAt(i: number, off: number, src: Buffer, srcOff: number, len: number): void {
    if (this.segs === NO_SEGS) this.segs = [];
    this.segs.splice(i, 0, { off, data: copyOf(src, srcOff, len) });
    this.bufferedBytes += len + SEGMENT_COST;
    this.out.buffered(len + SEGMENT_COST);
  }

  private drain(): void {
    const segs = this.segs;
    while (segs.length > 0 && segs[0].off === this.nextOffset) {
      const s = segs.shift() as Segment;
      this.bufferedBytes -= s.data.length + SEGMENT_COST;
      this.out.buffered(-(s.data.length + SEGMENT_COST));
      this.deliver(s.data);
    }
  }

  private deliver(data: Buffer): void {
    const off = this.nextOffset;
    this.nextOffset += data.length;
    this.nextSeq = (this.nextSeq + data.length) >>> 0;
    this.remember(data);
    this.out.data(this, off, data);
  }

  private remember(data: Buffer): void {
    const cap = this.historyBytes;
    if (cap <= 0) return;
    if (this.hist === null) this.hist = Buffer.allocUnsafe(cap);
    const h = this.hist;
    if (data.length >= cap) {
      data.copy(h, 0, data.length - cap);
      this.histLen = cap;
      return;
    }
    const keep = Math.min(this.histLen, cap - data.length);
    h.copyWithin(cap - data.length - keep, cap - keep, cap);
    data.copy(h, cap - data.length);
    this.histLen = keep + data.length;
  }

  /** Re-sent bytes [a, b) below nextOffset: compare with what was delivered when still known. */
  private compareHistory(a: number, b: number, src: Buffer, srcOff: number): void {
    let conflicting = false;
    const histStart = this.nextOffset - this.histLen;
    const from = a > histStart ? a : histStart;
    if (this.hist !== null && from < b) {
      const cap = this.hist.length;
      const hOff = cap - (this.nextOffset - from);
      conflicting = src.compare(this.hist, hOff, hOff + (b - from), srcOff + (from - a), srcOff + (b - a)) !== 0;
    }
    this.out.overlap(this, a, b - a, conflicting);
  }

  /** What snapshot() gives for a direction that was never used. */
  static freshState(): DirectionState {
    return { seen: false, nextSeq: 0, nextOffset: 0, fin: false, segs: [], hist: '' };
  }

  snapshot(): DirectionState {
    const segs: [number, string][] = [];
    for (let i = 0; i < this.segs.length; i++) segs.push([this.segs[i].off, this.segs[i].data.toString('base64')]);
    const hist =
      this.hist !== null && this.histLen > 0
        ? this.hist.subarray(this.hist.length - this.histLen).toString('base64')
        : '';
    return { seen: this.seen, nextSeq: this.nextSeq, nextOffset: this.nextOffset, fin: this.fin, segs, hist };
  }

  restore(s: DirectionState): void {
    this.seen = s.seen;
    this.nextSeq = s.nextSeq >>> 0;
    this.nextOffset = s.nextOffset;
    this.fin = s.fin;
    this.segs = [];
    this.bufferedBytes = 0;
    for (const [off, b64] of s.segs) {
      const data = Buffer.from(b64, 'base64');
      this.segs.push({ off, data });
      this.bufferedBytes += data.length + SEGMENT_COST;
    }
    this.out.buffered(this.bufferedBytes);
    this.hist = null;
    this.histLen = 0;
    if (s.hist.length > 0) this.remember(Buffer.from(s.hist, 'base64'));
  }
}
