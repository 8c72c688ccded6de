import { formatIPv4, formatIPv6, parseIPv4 } from './address';
import type { DecodedPacket } from './decoded-packet';

/**
 * A host as a Map key without formatting text on the hot path: an IPv4 address is its unsigned
 * 32-bit number, an IPv6 address its RFC 5952 text (IPv6 is rare enough to pay for the string).
 * Text and key convert both ways, so detector snapshots can carry hosts as text.
 */
export type HostKey = number | string;

export function srcHost(p: DecodedPacket): HostKey {
  return p.ipVersion === 4 ? p.src4 >>> 0 : formatIPv6(p.buf, p.src6Off);
}

export function dstHost(p: DecodedPacket): HostKey {
  return p.ipVersion === 4 ? p.dst4 >>> 0 : formatIPv6(p.buf, p.dst6Off);
}

export function hostText(h: HostKey): string {
  return typeof h === 'number' ? formatIPv4(h) : h;
}

export function hostFromText(s: string): HostKey {
  const n = parseIPv4(s);
  return Number.isNaN(n) ? s : n;
}

/** Sort order for host lists in findings: IPv4 numerically first, then IPv6 text. */
export function compareHosts(a: HostKey, b: HostKey): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Broadcast / multicast destinations: one packet to them is not a probe of one host. */
export function isGroupHost(h: HostKey): boolean {
  if (typeof h === 'number') return h === 0xffffffff || h >>> 28 === 0xe;
  return h.startsWith('ff');
}

/** A directional endpoint pair as a short string key (IPv4: 6 UTF-16 code units, no formatting). */
export function pairKey(tag: number, a: HostKey, aPort: number, b: HostKey, bPort: number): string {
  if (typeof a === 'number' && typeof b === 'number') {
    return String.fromCharCode(tag, a >>> 16, a & 0xffff, aPort, b >>> 16, b & 0xffff, bPort);
  }
  return `${tag}|${hostText(a)}|${aPort}|${hostText(b)}|${bPort}`;
}

/** ip:port as a Map key: IPv4 as a 48-bit number, IPv6 as text. */
export function endpointKey(h: HostKey, port: number): number | string {
  return typeof h === 'number' ? h * 65536 + port : `${h}|${port}`;
}

/** A small, deterministic 32-bit hash of a host (for sketches such as distinct-source counting). */
export function hashHost(h: HostKey): number {
  let x: number;
  if (typeof h === 'number') x = h | 0;
  else {
    x = 0x811c9dc5;
    for (let i = 0; i < h.length; i++) x = Math.imul(x ^ h.charCodeAt(i), 0x01000193);
  }
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
