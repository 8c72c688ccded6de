import { CaptureError } from './capture-error';
import { TimestampConverter } from './pcapng-timestamp';
import type { ReaderContext, RecordReader } from './record-reader';
import { UnitKind } from './record-reader';

export const PCAPNG_SHB = 0x0a0d0d0a; // a palindrome: readable before the byte order is known
export const PCAPNG_IDB = 0x00000001;
export const PCAPNG_PB = 0x00000002; // obsolete Packet Block
export const PCAPNG_SPB = 0x00000003;
export const PCAPNG_EPB = 0x00000006;
const BYTE_ORDER_MAGIC_LE = 0x1a2b3c4d; // as read little-endian

/** Largest block accepted: far above any real packet (256 KiB) plus options. */
export const PCAPNG_MAX_BLOCK_LEN = 16 * 1024 * 1024;
/** More interfaces than this in one section is hostile, not a capture. */
const MAX_INTERFACES = 65536;
const DEFAULT_TSRESOL = 6; // 10^-6 s when an IDB has no if_tsresol

interface InterfaceInfo {
  linkType: number;
  snaplen: number;
  ts: TimestampConverter;
  /** if_tsoffset: seconds added to every timestamp of this interface. */
  tsOffset: number;
}

/**
 * pcapng framing: sections (each SHB may switch byte order and resets the interface list),
 * interfaces with their own link type / timestamp resolution, and EPB/SPB/PB packets. Every
 * other block type is skipped by its length.
 */
export class PcapngReader implements RecordReader {
  need = 12;
  packets = 0;
  readonly linkTypes: number[] = [];
  private le = true;
  private inSection = false;
  private ifaces: InterfaceInfo[] = [];
  /** Converters are shared between interfaces with the same if_tsresol. */
  private readonly converters = new Map<number, TimestampConverter>();

  constructor(private readonly ctx: ReaderContext) {}

  run(buf: Buffer, start: number, end: number, fileBase: number): number {
    const ctx = this.ctx;
    const onUnit = ctx.onUnit;
    let pos = start;
    while (true) {
      // Runs of well-formed EPBs (nearly every real file) take the fast loop; it stops at
      // anything else, and the general code below handles that block.
      if (this.inSection) pos = this.runEpbs(buf, pos, end, start, fileBase);
      const avail = end - pos;
      if (avail < 8) {
        this.need = 8;
        break;
      }
      const fileOffset = fileBase + (pos - start);
      const type = this.le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
      let len: number;
      if (type === PCAPNG_SHB) {
        if (avail < 12) {
          this.need = 12;
          break;
        }
        const bom = buf.readUInt32LE(pos + 8);
        if (bom === BYTE_ORDER_MAGIC_LE) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else
          this.fail(
            'bad-format',
            fileOffset,
            `section header block has an invalid byte-order magic (bytes ${buf.toString('hex', pos + 8, pos + 12)})`,
          );
        len = this.le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
        if (len < 28) this.badLength(fileOffset, `section header block length ${len} is below the 28-byte minimum`);
      } else {
        if (!this.inSection) this.fail('bad-format', fileOffset, 'block before any section header block');
        len = this.le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
      }
      if (len < 12 || (len & 3) !== 0 || len > PCAPNG_MAX_BLOCK_LEN) {
        this.badLength(
          fileOffset,
          `block type 0x${type.toString(16)} has invalid length ${len} (must be a multiple of 4, 12..${PCAPNG_MAX_BLOCK_LEN})`,
        );
      }
      if (avail < len) {
        this.need = len;
        break;
      }
      const trailer = this.le ? buf.readUInt32LE(pos + len - 4) : buf.readUInt32BE(pos + len - 4);
      if (trailer !== len) {
        this.badLength(
          fileOffset,
          `block type 0x${type.toString(16)} length ${len} does not match its trailing length ${trailer}`,
        );
      }
      let kind = UnitKind.Other;
      if (type === PCAPNG_EPB || type === PCAPNG_PB) {
        if (len < 32) this.badLength(fileOffset, `packet block length ${len} is below the 32-byte minimum`);
        let ifId: number, high: number, low: number, capLen: number, origLen: number;
        if (this.le) {
          ifId = type === PCAPNG_EPB ? buf.readUInt32LE(pos + 8) : buf.readUInt16LE(pos + 8);
          high = buf.readUInt32LE(pos + 12);
          low = buf.readUInt32LE(pos + 16);
          capLen = buf.readUInt32LE(pos + 20);
          origLen = buf.readUInt32LE(pos + 24);
        } else {
          ifId = type === PCAPNG_EPB ? buf.readUInt32BE(pos + 8) : buf.readUInt16BE(pos + 8);
          high = buf.readUInt32BE(pos + 12);
          low = buf.readUInt32BE(pos + 16);
          capLen = buf.readUInt32BE(pos + 20);
          origLen = buf.readUInt32BE(pos + 24);
        }
        if (capLen > ctx.maxCapLen) {
          this.badLength(fileOffset, `packet captured length ${capLen} exceeds the ${ctx.maxCapLen}-byte limit`);
        }
        if (capLen > len - 32) {
          this.badLength(fileOffset, `packet captured length ${capLen} does not fit its ${len}-byte block`);
        }
        const iface = this.ifaces[ifId];
        if (iface === undefined) {
          this.fail(
            'bad-format',
            fileOffset,
            `packet for interface ${ifId}, but the section describes ${this.ifaces.length} interface(s)`,
          );
        }
        iface.ts.convert(high, low);
        this.deliver(
          iface,
          ifId,
          iface.ts.sec + iface.tsOffset,
          iface.ts.nsec,
          capLen,
          origLen,
          buf,
          pos + 28,
          fileOffset,
        );
        kind = UnitKind.Packet;
      } else if (type === PCAPNG_SPB) {
        if (len < 16) this.badLength(fileOffset, `simple packet block length ${len} is below the 16-byte minimum`);
        const iface = this.ifaces[0];
        if (iface === undefined)
          this.fail('bad-format', fileOffset, 'simple packet block before any interface description block');
        const origLen = this.le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
        let capLen = len - 16;
        if (origLen < capLen) capLen = origLen;
        if (iface.snaplen !== 0 && iface.snaplen < capLen) capLen = iface.snaplen;
        if (capLen > ctx.maxCapLen) {
          this.badLength(fileOffset, `packet captured length ${capLen} exceeds the ${ctx.maxCapLen}-byte limit`);
        }
        // An SPB has no timestamp.
        this.deliver(iface, 0, 0, 0, capLen, origLen, buf, pos + 12, fileOffset);
        kind = UnitKind.Packet;
      } else if (type === PCAPNG_IDB) {
        this.parseInterface(buf, pos, len, fileOffset);
        kind = UnitKind.Interface;
      } else if (type === PCAPNG_SHB) {
        const major = this.le ? buf.readUInt16LE(pos + 12) : buf.readUInt16BE(pos + 12);
        if (major !== 1) this.fail('bad-format', fileOffset, `unsupported pcapng version ${major}`);
        this.inSection = true;
        this.ifaces = [];
        kind = UnitKind.Section;
      }
      if (onUnit !== undefined) onUnit(kind, buf, pos, pos + len);
      pos += len;
    }
    return pos;
  }

  /**
   * The hot path: consecutive EPBs that are whole, valid and for a known interface. It delivers
   * exactly what the general path would, and returns at the first block it does not take —
   * another type, incomplete, or anything the general path would reject — so that path re-reads
   * it and raises the same error. Fields are read with u32() rather than buf.readUInt32LE: eight
   * inlined readUInt32LE calls (with their argument validation) exceed TurboFan's inlining
   * budget, and the calls left out-of-line made this loop half as fast as the pcap one. For the
   * same reason TimestampConverter.convert() keeps only its one-division case inline.
   */
  private runEpbs(buf: Buffer, pos: number, end: number, start: number, fileBase: number): number {
    const ctx = this.ctx;
    const rec = ctx.rec;
    const onPacket = ctx.onPacket;
    const onUnit = ctx.onUnit;
    const maxCapLen = ctx.maxCapLen;
    const ifaces = this.ifaces;
    const nIfaces = ifaces.length;
    const le = this.le;
    while (end - pos >= 32) {
      if (u32(buf, pos, le) !== PCAPNG_EPB) break;
      const len = u32(buf, pos + 4, le);
      if (len < 32 || (len & 3) !== 0 || len > PCAPNG_MAX_BLOCK_LEN || end - pos < len) break;
      if (u32(buf, pos + len - 4, le) !== len) break;
      const ifId = u32(buf, pos + 8, le);
      const capLen = u32(buf, pos + 20, le);
      if (ifId >= nIfaces || capLen > maxCapLen || capLen > len - 32) break;
      const iface = ifaces[ifId];
      const ts = iface.ts;
      const high = u32(buf, pos + 12, le);
      const low = u32(buf, pos + 16, le);
      ts.convert(high, low);
      rec.frame = ++this.packets;
      rec.linkType = iface.linkType;
      rec.interfaceId = ifId;
      rec.tsSec = ts.sec + iface.tsOffset;
      rec.tsNsec = ts.nsec;
      rec.capLen = capLen;
      rec.origLen = u32(buf, pos + 24, le);
      rec.buf = buf;
      rec.offset = pos + 28;
      rec.fileOffset = fileBase + (pos - start);
      onPacket(rec);
      if (onUnit !== undefined) onUnit(UnitKind.Packet, buf, pos, pos + len);
      pos += len;
    }
    return pos;
  }

  private deliver(
    iface: InterfaceInfo,
    ifId: number,
    tsSec: number,
    tsNsec: number,
    capLen: number,
    origLen: number,
    buf: Buffer,
    offset: number,
    fileOffset: number,
  ): void {
    const rec = this.ctx.rec;
    rec.frame = ++this.packets;
    rec.linkType = iface.linkType;
    rec.interfaceId = ifId;
    rec.tsSec = tsSec;
    rec.tsNsec = tsNsec;
    rec.capLen = capLen;
    rec.origLen = origLen;
    rec.buf = buf;
    rec.offset = offset;
    rec.fileOffset = fileOffset;
    this.ctx.onPacket(rec);
  }

  private parseInterface(buf: Buffer, pos: number, len: number, fileOffset: number): void {
    if (len < 20) this.badLength(fileOffset, `interface description block length ${len} is below the 20-byte minimum`);
    if (this.ifaces.length >= MAX_INTERFACES) {
      this.fail('bad-format', fileOffset, `more than ${MAX_INTERFACES} interfaces in one section`);
    }
    const le = this.le;
    const linkType = le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8);
    const snaplen = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    let tsresol = DEFAULT_TSRESOL;
    let tsOffset = 0;
    // Options: code(2) length(2) value padded to 4. Malformed options end the list quietly:
    // they describe the interface, and losing them is better than losing the capture.
    const optEnd = pos + len - 4;
    let p = pos + 16;
    while (p + 4 <= optEnd) {
      const code = le ? buf.readUInt16LE(p) : buf.readUInt16BE(p);
      const olen = le ? buf.readUInt16LE(p + 2) : buf.readUInt16BE(p + 2);
      if (code === 0 || p + 4 + olen > optEnd) break;
      if (code === 9 && olen >= 1) tsresol = buf[p + 4];
      else if (code === 14 && olen >= 8) {
        const hi = le ? buf.readInt32LE(p + 8) : buf.readInt32BE(p + 4);
        const lo = le ? buf.readUInt32LE(p + 4) : buf.readUInt32BE(p + 8);
        tsOffset = hi * 4294967296 + lo;
      }
      p += 4 + ((olen + 3) & ~3);
    }
    let ts = this.converters.get(tsresol);
    if (ts === undefined) {
      ts = new TimestampConverter(tsresol);
      this.converters.set(tsresol, ts);
    }
    this.ifaces.push({ linkType, snaplen, ts, tsOffset });
    if (!this.linkTypes.includes(linkType)) this.linkTypes.push(linkType);
  }

  private badLength(offset: number, reason: string): never {
    this.fail('bad-length', offset, reason);
  }

  private fail(code: 'bad-length' | 'bad-format', offset: number, reason: string): never {
    throw new CaptureError(code, this.ctx.source, offset, reason);
  }
}

/**
 * Unsigned 32-bit field at p in the section's byte order. The caller guarantees p + 4 <= the
 * buffer's length; the byte-order branch is loop-invariant, so it predicts perfectly.
 */
function u32(b: Buffer, p: number, le: boolean): number {
  return le
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}
