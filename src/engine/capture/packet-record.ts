/**
 * One captured record as a reader hands it out.
 *
 * Readers reuse ONE instance for every packet and point `buf`/`offset` into their own
 * read buffer, so a consumer that keeps anything past its callback must copy it
 * (`buf.subarray(offset, offset + capLen)` is only valid until the callback returns;
 * use `Buffer.from(...)` to keep bytes). This is what keeps reading allocation-free.
 */
export interface PacketRecord {
  /** 1-based frame number within the capture, counting every record read (tshark's frame.number). */
  frame: number;
  /** LINKTYPE_* value of the interface the packet came from (pcap header or pcapng IDB). */
  linkType: number;
  /** pcapng interface index (0 for classic pcap). */
  interfaceId: number;
  /** Whole seconds since the Unix epoch. */
  tsSec: number;
  /** Nanoseconds within that second, 0..999_999_999 (microsecond files are scaled up). */
  tsNsec: number;
  /** Bytes captured (present in `buf`). */
  capLen: number;
  /** Bytes on the wire (>= capLen when the snaplen cut the packet). */
  origLen: number;
  /** Backing buffer; the packet is buf[offset, offset + capLen). Valid only during the callback. */
  buf: Buffer;
  offset: number;
  /** Byte offset in the input of the record's header (for error messages and evidence). */
  fileOffset: number;
}

export function newPacketRecord(): PacketRecord {
  return {
    frame: 0,
    linkType: 0,
    interfaceId: 0,
    tsSec: 0,
    tsNsec: 0,
    capLen: 0,
    origLen: 0,
    buf: Buffer.alloc(0),
    offset: 0,
    fileOffset: 0,
  };
}

/** Packet time as floating seconds (sub-microsecond precision for current epochs). */
export function recordTime(rec: Pick<PacketRecord, 'tsSec' | 'tsNsec'>): number {
  return rec.tsSec + rec.tsNsec / 1e9;
}
