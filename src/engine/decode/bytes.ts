/**
 * Big-endian reads for the hot path. Buffer#readUInt16BE validates its argument on every call
 * (a measurable share of decode time); callers here have already checked bounds.
 */
export function u16(buf: Buffer, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

export function u32(buf: Buffer, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/** Little-endian 32-bit (BSD null link header written on little-endian hosts). */
export function u32le(buf: Buffer, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
}
