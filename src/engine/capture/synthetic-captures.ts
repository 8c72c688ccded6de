/**
 * Builders for synthetic pcap and pcapng files, for tests of every layer that needs a capture
 * real files lack (odd byte orders, resolutions, block mixes, damaged lengths).
 */

function u16(le: boolean, v: number): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

function u32(le: boolean, v: number): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function pad4(b: Buffer): Buffer {
  const r = (4 - (b.length & 3)) & 3;
  return r === 0 ? b : Buffer.concat([b, Buffer.alloc(r)]);
}

export interface SynthPcapRecord {
  tsSec: number;
  /** Microseconds or nanoseconds, as the file's magic says. */
  tsFrac: number;
  data: Buffer;
  origLen?: number;
  /** Override the captured-length field (for damaged files). */
  capLenField?: number;
}

export interface SynthPcapOptions {
  littleEndian?: boolean;
  nanosecond?: boolean;
  /** Kuznetzov's modified format (24-byte record headers). */
  modified?: boolean;
  linkType?: number;
  /** The raw LinkType field (to set FCS bits); overrides linkType. */
  linkField?: number;
  snaplen?: number;
}

export function synthPcap(opts: SynthPcapOptions, records: SynthPcapRecord[]): Buffer {
  const le = opts.littleEndian ?? true;
  const magic = opts.modified === true ? 0xa1b2cd34 : opts.nanosecond === true ? 0xa1b23c4d : 0xa1b2c3d4;
  const parts: Buffer[] = [
    u32(le, magic),
    u16(le, 2),
    u16(le, 4),
    u32(le, 0),
    u32(le, 0),
    u32(le, opts.snaplen ?? 65535),
    u32(le, opts.linkField ?? opts.linkType ?? 1),
  ];
  for (const r of records) {
    parts.push(
      u32(le, r.tsSec),
      u32(le, r.tsFrac),
      u32(le, r.capLenField ?? r.data.length),
      u32(le, r.origLen ?? r.data.length),
    );
    if (opts.modified === true) parts.push(Buffer.alloc(8, 0x77));
    parts.push(r.data);
  }
  return Buffer.concat(parts);
}

/** A generic pcapng block: type, length, body (padded), options (already encoded), length. */
export function ngBlock(
  le: boolean,
  type: number,
  body: Buffer,
  lenOverride?: number,
  trailerOverride?: number,
): Buffer {
  const padded = pad4(body);
  const len = 12 + padded.length;
  return Buffer.concat([
    u32(le, type),
    u32(le, lenOverride ?? len),
    padded,
    u32(le, trailerOverride ?? lenOverride ?? len),
  ]);
}

export function ngOption(le: boolean, code: number, value: Buffer): Buffer {
  return Buffer.concat([u16(le, code), u16(le, value.length), pad4(value)]);
}

export function ngEndOfOptions(le: boolean): Buffer {
  return Buffer.concat([u16(le, 0), u16(le, 0)]);
}

export function ngShb(le: boolean, options: Buffer = Buffer.alloc(0), major = 1): Buffer {
  const body = Buffer.concat([u32(le, 0x1a2b3c4d), u16(le, major), u16(le, 0), Buffer.alloc(8, 0xff), options]);
  return ngBlock(le, 0x0a0d0d0a, body);
}

export interface SynthIdbOptions {
  snaplen?: number;
  /** if_tsresol byte (e.g. 9 for ns, 0x94 for 2^-20). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: bigint;
}

export function ngIdb(le: boolean, linkType: number, o: SynthIdbOptions = {}): Buffer {
  const opts: Buffer[] = [ngOption(le, 2, Buffer.from('eth0'))];
  if (o.tsresol !== undefined) opts.push(ngOption(le, 9, Buffer.from([o.tsresol])));
  if (o.tsoffset !== undefined) {
    const v = Buffer.alloc(8);
    if (le) v.writeBigInt64LE(o.tsoffset);
    else v.writeBigInt64BE(o.tsoffset);
    opts.push(ngOption(le, 14, v));
  }
  opts.push(ngEndOfOptions(le));
  return ngBlock(le, 1, Buffer.concat([u16(le, linkType), u16(le, 0), u32(le, o.snaplen ?? 0), ...opts]));
}

/** EPB with a 64-bit timestamp in interface units. */
export function ngEpb(
  le: boolean,
  ifId: number,
  ts: bigint,
  data: Buffer,
  origLen = data.length,
  capLenField = data.length,
): Buffer {
  const high = Number(ts >> 32n);
  const low = Number(ts & 0xffffffffn);
  const comment = ngOption(le, 1, Buffer.from('c'));
  return ngBlock(
    le,
    6,
    Buffer.concat([
      u32(le, ifId),
      u32(le, high),
      u32(le, low),
      u32(le, capLenField),
      u32(le, origLen),
      pad4(data),
      comment,
      ngEndOfOptions(le),
    ]),
  );
}

/** Obsolete Packet Block (type 2). */
export function ngPb(le: boolean, ifId: number, ts: bigint, data: Buffer, origLen = data.length): Buffer {
  const high = Number(ts >> 32n);
  const low = Number(ts & 0xffffffffn);
  return ngBlock(
    le,
    2,
    Buffer.concat([
      u16(le, ifId),
      u16(le, 0),
      u32(le, high),
      u32(le, low),
      u32(le, data.length),
      u32(le, origLen),
      pad4(data),
    ]),
  );
}

export function ngSpb(le: boolean, data: Buffer, origLen = data.length): Buffer {
  return ngBlock(le, 3, Buffer.concat([u32(le, origLen), data]));
}

/** A Name Resolution Block with one IPv4 record. */
export function ngNrb(le: boolean): Buffer {
  const rec = Buffer.concat([Buffer.from([10, 0, 0, 1]), Buffer.from('host.test\0')]);
  return ngBlock(le, 4, Buffer.concat([u16(le, 1), u16(le, rec.length), pad4(rec), u16(le, 0), u16(le, 0)]));
}

/** An Interface Statistics Block. */
export function ngIsb(le: boolean, ifId: number): Buffer {
  return ngBlock(le, 5, Buffer.concat([u32(le, ifId), u32(le, 0), u32(le, 0), ngEndOfOptions(le)]));
}

/** A Custom Block (copyable), Private Enterprise Number 32473 (documentation PEN). */
export function ngCustom(le: boolean): Buffer {
  return ngBlock(le, 0x00000bad, Buffer.concat([u32(le, 32473), Buffer.from('opaque!')]));
}

/** Deterministic bytes for packet payloads. */
export function payload(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < len; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
