import { CaptureError } from './capture-error';
import type { ReaderContext, RecordReader } from './record-reader';
import { UnitKind } from './record-reader';

/** Magic numbers as read little-endian from the first 4 bytes. */
export const PCAP_MAGIC_USEC_LE = 0xa1b2c3d4; // bytes d4 c3 b2 a1
export const PCAP_MAGIC_USEC_BE = 0xd4c3b2a1; // bytes a1 b2 c3 d4
export const PCAP_MAGIC_NSEC_LE = 0xa1b23c4d;
export const PCAP_MAGIC_NSEC_BE = 0x4d3cb2a1;
/** Kuznetzov's "modified" libpcap format: 24-byte record headers (ifindex, protocol, type). */
export const PCAP_MAGIC_MODIFIED_LE = 0xa1b2cd34;
export const PCAP_MAGIC_MODIFIED_BE = 0x34cdb2a1;

export const PCAP_GLOBAL_HEADER_LEN = 24;

/** True when the first 4 bytes (read little-endian) are a classic pcap magic. */
export function isPcapMagic(magicLe: number): boolean {
  return (
    magicLe === PCAP_MAGIC_USEC_LE ||
    magicLe === PCAP_MAGIC_USEC_BE ||
    magicLe === PCAP_MAGIC_NSEC_LE ||
    magicLe === PCAP_MAGIC_NSEC_BE ||
    magicLe === PCAP_MAGIC_MODIFIED_LE ||
    magicLe === PCAP_MAGIC_MODIFIED_BE
  );
}

/**
 * Classic pcap framing: a 24-byte global header, then records of a 16-byte (or 24-byte,
 * "modified" format) header + caplen bytes. The whole record loop is here, in one function,
 * because it is the hottest loop of the engine.
 */
export class PcapReader implements RecordReader {
  need = PCAP_GLOBAL_HEADER_LEN;
  packets = 0;
  readonly linkTypes: number[] = [];
  private headerDone = false;
  private littleEndian = true;
  /** 1000 for microsecond files, 1 for nanosecond files. */
  private nsecScale = 1000;
  private recHeaderLen = 16;
  private linkType = 0;

  constructor(private readonly ctx: ReaderContext) {}

  run(buf: Buffer, start: number, end: number, fileBase: number): number {
    let pos = start;
    if (!this.headerDone) {
      if (end - pos < PCAP_GLOBAL_HEADER_LEN) {
        this.need = PCAP_GLOBAL_HEADER_LEN;
        return pos;
      }
      this.parseHeader(buf, pos);
      if (this.ctx.onUnit !== undefined) this.ctx.onUnit(UnitKind.Section, buf, pos, pos + PCAP_GLOBAL_HEADER_LEN);
      pos += PCAP_GLOBAL_HEADER_LEN;
    }
    const ctx = this.ctx;
    const rec = ctx.rec;
    const onPacket = ctx.onPacket;
    const onUnit = ctx.onUnit;
    const maxCapLen = ctx.maxCapLen;
    const le = this.littleEndian;
    const hl = this.recHeaderLen;
    const scale = this.nsecScale;
    const linkType = this.linkType;
    let packets = this.packets;
    while (true) {
      if (end - pos < hl) {
        this.need = hl;
        break;
      }
      // Byte arithmetic, not buf.readUInt32LE: its argument checks kept it from being inlined
      // (the same finding as in the pcapng reader). The loop guard above keeps pos+15 in bounds.
      let tsSec = u32(buf, pos, le);
      const tsFrac = u32(buf, pos + 4, le);
      const capLen = u32(buf, pos + 8, le);
      const origLen = u32(buf, pos + 12, le);
      if (capLen > maxCapLen) {
        this.packets = packets;
        throw new CaptureError(
          'bad-length',
          ctx.source,
          fileBase + (pos - start),
          `record captured length ${capLen} exceeds the ${maxCapLen}-byte limit (damaged or not a pcap record)`,
        );
      }
      const total = hl + capLen;
      if (end - pos < total) {
        this.need = total;
        break;
      }
      rec.frame = ++packets;
      rec.linkType = linkType;
      rec.interfaceId = 0;
      // A fraction >= 1 s is invalid but occurs; carry it into seconds like tcpdump's printer
      // would show it, so tsNsec stays within 0..999_999_999 as the record contract promises.
      let nsec = tsFrac * scale;
      if (nsec >= 1_000_000_000) {
        const carry = Math.floor(nsec / 1_000_000_000);
        tsSec += carry;
        nsec -= carry * 1_000_000_000;
      }
      rec.tsSec = tsSec;
      rec.tsNsec = nsec;
      rec.capLen = capLen;
      rec.origLen = origLen;
      rec.buf = buf;
      rec.offset = pos + hl;
      rec.fileOffset = fileBase + (pos - start);
      this.packets = packets;
      onPacket(rec);
      if (onUnit !== undefined) onUnit(UnitKind.Packet, buf, pos, pos + total);
      pos += total;
    }
    this.packets = packets;
    return pos;
  }

  private parseHeader(buf: Buffer, pos: number): void {
    const magic = buf.readUInt32LE(pos);
    this.littleEndian =
      magic === PCAP_MAGIC_USEC_LE || magic === PCAP_MAGIC_NSEC_LE || magic === PCAP_MAGIC_MODIFIED_LE;
    this.nsecScale = magic === PCAP_MAGIC_NSEC_LE || magic === PCAP_MAGIC_NSEC_BE ? 1 : 1000;
    this.recHeaderLen = magic === PCAP_MAGIC_MODIFIED_LE || magic === PCAP_MAGIC_MODIFIED_BE ? 24 : 16;
    const linkField = this.littleEndian ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20);
    // The field's upper bits carry the FCS length (bits 28-31) and its presence flag (bit 27);
    // the link type proper is the low 16 bits (pcap spec, "LinkType and additional information").
    this.linkType = linkField & 0xffff;
    this.linkTypes.push(this.linkType);
    this.headerDone = true;
  }
}

function u32(b: Buffer, p: number, le: boolean): number {
  return le
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}
