import { ConfigError } from '../config';
import { parseIPv4 } from '../decode/address';
import type { HostKey } from '../decode/host-key';

/**
 * A list of CIDR ranges (IPv4 and IPv6) matched against hosts as the decoder keys them (IPv4 as
 * an unsigned number, IPv6 as RFC 5952 text). Used to tell internal from external addresses.
 */
export class AddressRanges {
  private readonly v4: Array<{ net: number; mask: number }> = [];
  private readonly v6: Array<{ groups: number[]; bits: number }> = [];
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
      const g = parseIPv6Groups(addr);
      const bits = len === undefined ? 128 : Number(len);
      if (g === null || !Number.isInteger(bits) || bits < 0 || bits > 128) throw new ConfigError(`bad network "${c}"`);
      this.v6.push({ groups: g, bits });
    }
  }

  /** An IPv6 address given as its 16 bytes at buf[off], without formatting it. */
  hasV6At(buf: Buffer, off: number): boolean {
    for (const r of this.v6) {
      let bits = r.bits;
      let ok = true;
      for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
        const m = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
        if ((((buf[off + 2 * i] << 8) | buf[off + 2 * i + 1]) & m) !== (r.groups[i] & m)) {
          ok = false;
          break;
        }
      }
      if (ok) return true;
    }
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
    hit = false;
    const g = parseIPv6Groups(h);
    if (g !== null) {
      for (const r of this.v6) {
        if (prefixMatch(g, r.groups, r.bits)) {
          hit = true;
          break;
        }
      }
    }
    if (this.memo6.size >= 4096) this.memo6.clear();
    this.memo6.set(h, hit);
    return hit;
  }
}

function prefixMatch(a: number[], b: number[], bits: number): boolean {
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const m = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((a[i] & m) !== (b[i] & m)) return false;
  }
  return true;
}

/** Eight 16-bit groups of an IPv6 text address (dotted IPv4 tail allowed), or null. */
export function parseIPv6Groups(s: string): number[] | null {
  if (s.length > 45 || !s.includes(':')) return null;
  let text = s.toLowerCase();
  const tail: number[] = [];
  const last = text.lastIndexOf(':');
  if (text.slice(last + 1).includes('.')) {
    const v4 = parseIPv4(text.slice(last + 1));
    if (Number.isNaN(v4)) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
    text = text.slice(0, last + 1);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (x: string) => (x === '' ? [] : x.split(':'));
  const head = part(halves[0]);
  const rest = halves.length === 2 ? part(halves[1]) : [];
  const want = 8 - tail.length;
  if (halves.length === 1 && head.length !== want) return null;
  if (head.length + rest.length > want - (halves.length === 2 ? 1 : 0)) return null;
  const fill = halves.length === 2 ? Array<string>(want - head.length - rest.length).fill('0') : [];
  const groups = [...head, ...fill, ...rest];
  const out: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    out.push(parseInt(g, 16));
  }
  return [...out, ...tail];
}
