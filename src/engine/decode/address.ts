/**
 * Text forms of addresses, built only on demand (the decoder keeps numbers and offsets).
 * IPv6 text follows RFC 5952 with inet_ntop's dotted IPv4 tails (the form tshark prints).
 */
import type { DecodedPacket } from './decoded-packet';

/**
 * Direct-mapped memo of recent IPv4 texts: the same few addresses are formatted again and again
 * (a scanner opens a connection per probe), and each format builds several strings.
 */
const V4_MEMO_BITS = 12;
const v4MemoKeys = new Int32Array(1 << V4_MEMO_BITS);
const v4MemoTexts: (string | undefined)[] = new Array<string | undefined>(1 << V4_MEMO_BITS).fill(undefined);

export function formatIPv4(n: number): string {
  // The text depends only on ToUint32(n), which `n | 0` identifies as well.
  const k = n | 0;
  const i = Math.imul(k, 0x9e3779b1) >>> (32 - V4_MEMO_BITS);
  const memo = v4MemoTexts[i];
  if (memo !== undefined && v4MemoKeys[i] === k) return memo;
  const text = `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  v4MemoKeys[i] = k;
  v4MemoTexts[i] = text;
  return text;
}

/** Parses dotted-quad text to an unsigned 32-bit number; NaN when the text is not an IPv4 address. */
export function parseIPv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) return NaN;
  let n = 0;
  for (let i = 0; i < 4; i++) {
    const t = parts[i];
    if (!/^\d{1,3}$/.test(t)) return NaN;
    const v = Number(t);
    if (v > 255) return NaN;
    n = n * 256 + v;
  }
  return n;
}

/**
 * Parses IPv6 text (RFC 4291 §2.2, with an optional dotted IPv4 tail and zone-less) into 16
 * bytes; null when the text is not an IPv6 address.
 */
export function parseIPv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45) return null;
  let s = text;
  const out = new Uint8Array(16);
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return null;
  if (s.indexOf('.', lastColon) > 0) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (Number.isNaN(v4)) return null;
    tail = [(v4 >>> 16) & 0xffff, v4 & 0xffff];
    s = s.slice(0, lastColon + 1) + '0';
    // "::1.2.3.4" → "::0" + tail; the placeholder group is replaced below.
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const gs = part.split(':');
    const out2: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out2.push(parseInt(g, 16));
    }
    return out2;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const rest = parseGroups(s.slice(dbl + 2));
    if (head === null || rest === null) return null;
    if (tail.length) rest.pop();
    const fill = 8 - head.length - rest.length - tail.length;
    if (fill < 1) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
  } else {
    const all = parseGroups(s);
    if (all === null) return null;
    if (tail.length) all.pop();
    groups = [...all, ...tail];
  }
  if (groups.length !== 8) return null;
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i] >>> 8;
    out[2 * i + 1] = groups[i] & 0xff;
  }
  return out;
}

export function formatIPv6(buf: Buffer, off: number): string {
  const g = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 8; i++) g[i] = (buf[off + 2 * i] << 8) | buf[off + 2 * i + 1];
  // Longest run of zero groups (length >= 2, first one on a tie) becomes "::".
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) keep a dotted tail, as
  // inet_ntop and tshark print them (RFC 5952 §5).
  if (bestAt === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
    return `::${bestLen === 5 ? 'ffff:' : ''}${buf[off + 12]}.${buf[off + 13]}.${buf[off + 14]}.${buf[off + 15]}`;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestAt) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += g[i].toString(16);
  }
  return s;
}

export function formatMac(buf: Buffer, off: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    const b = buf[off + i];
    s += (i ? ':' : '') + (b < 16 ? '0' : '') + b.toString(16);
  }
  return s;
}

/** Source IP of the packet (IPv4/IPv6 header, or the ARP sender's IPv4 for ARP). */
export function srcIp(p: DecodedPacket): string | undefined {
  if (p.ipVersion === 4) return formatIPv4(p.src4);
  if (p.ipVersion === 6) return formatIPv6(p.buf, p.src6Off);
  if (p.isArp) return formatIPv4(p.arpSenderIp);
  return undefined;
}

/** Destination IP of the packet (IPv4/IPv6 header, or the ARP target's IPv4 for ARP). */
export function dstIp(p: DecodedPacket): string | undefined {
  if (p.ipVersion === 4) return formatIPv4(p.dst4);
  if (p.ipVersion === 6) return formatIPv6(p.buf, p.dst6Off);
  if (p.isArp) return formatIPv4(p.arpTargetIp);
  return undefined;
}

export function srcMac(p: DecodedPacket): string | undefined {
  return p.srcMacOff >= 0 ? formatMac(p.buf, p.srcMacOff) : undefined;
}

export function dstMac(p: DecodedPacket): string | undefined {
  return p.dstMacOff >= 0 ? formatMac(p.buf, p.dstMacOff) : undefined;
}
