import { ConfigError } from '../config';
import { parseIPv4, parseIPv6 } from '../decode/address';
import type { HostKey } from '../decode/host-key';

/**
 * A list of CIDR ranges (IPv4 and IPv6) matched against hosts as the decoder keys them (IPv4 as
 * an unsigned number, IPv6 as RFC 5952 text). Used to tell internal from external addresses.
 */
export class AddressRanges {
  private readonly v4: Array<{ net: number; mask: number }> = [];
  private readonly v6: Array<{ prefix: Uint8Array; bits: number }> = [];
  private readonly memo6 = new Map<string, boolean>();

  /** Throws ConfigError naming the entry that is not a CIDR range. */
  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [addr, len, extra] = c.split('/');
      if (extra !== undefined) throw new ConfigError(`bad network "${c}"`);
      const v4 = parseIPv4(addr);
      if (!Number.isNaN(v4)) {
        const bits = len === undefined ? 32 : Number(len);
        if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new ConfigError(`bad network "${c}"`);
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        this.v4.push({ net: (v4 & mask) >>> 0, mask });
        continue;
      }
      const prefix = parseIPv6(addr);
      const bits = len === undefined ? 128 : Number(len);
      if (prefix === null || !Number.isInteger(bits) || bits < 0 || bits > 128) {
        throw new ConfigError(`bad network "${c}"`);
      }
      this.v6.push({ prefix, bits });
    }
  }

  /** An IPv6 address given as its 16 bytes at buf[off], without formatting it. */
  hasV6At(buf: Uint8Array, off: number): boolean {
    for (const r of this.v6) if (prefixMatch(buf, off, r.prefix, r.bits)) return true;
    return false;
  }

  has(h: HostKey): boolean {
    if (typeof h === 'number') {
      const a = h >>> 0;
      for (const r of this.v4) if ((a & r.mask) >>> 0 === r.net) return true;
      return false;
    }
    let hit = this.memo6.get(h);
    if (hit !== undefined) return hit;
    const bytes = parseIPv6(h);
    hit = bytes !== null && this.hasV6At(bytes, 0);
    if (this.memo6.size >= 4096) this.memo6.clear();
    this.memo6.set(h, hit);
    return hit;
  }
}

/** The first `bits` bits of buf[off..off+16) equal those of `prefix`. */
function prefixMatch(buf: Uint8Array, off: number, prefix: Uint8Array, bits: number): boolean {
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const m = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((buf[off + i] & m) !== (prefix[i] & m)) return false;
  }
  return true;
}
