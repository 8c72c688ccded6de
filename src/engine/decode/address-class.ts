/**
 * Address classes the detectors share: an address that is not a routable public unicast one.
 * Special use = "this network" 0/8, private 10/8, 172.16/12, 192.168/16 (RFC 1918), shared 100.64/10
 * (RFC 6598), loopback 127/8, link-local 169.254/16 (RFC 3927), multicast 224/4, reserved 240/4 and
 * broadcast; IPv6 ::, ::1, unique local fc00::/7 (RFC 4193), link-local fe80::/10, multicast ff00::/8
 * and IPv4-mapped special-use addresses. Internal = special use but not multicast/reserved/broadcast.
 */

/**
 * IPv4 special-use ranges by first octet:
 * 1 = the whole /8 is special, 2 = part of it is (checked precisely).
 */
const SPECIAL_FIRST_OCTET = (() => {
  const t = new Uint8Array(256);
  for (const o of [0, 10, 127]) t[o] = 1;
  for (let o = 224; o < 256; o++) t[o] = 1; // multicast 224/4, reserved 240/4, broadcast
  for (const o of [100, 169, 172, 192]) t[o] = 2;
  return t;
})();

export function isSpecialUseIPv4(a: number): boolean {
  const c = SPECIAL_FIRST_OCTET[a >>> 24];
  if (c !== 2) return c === 1;
  return a >>> 22 === 0x191 || a >>> 16 === 0xa9fe || a >>> 20 === 0xac1 || a >>> 16 === 0xc0a8;
}

export function isSpecialUseIPv6(b: Uint8Array | Buffer, off: number): boolean {
  const b0 = b[off];
  if (b0 === 0xff || (b0 & 0xfe) === 0xfc) return true; // multicast, unique local
  if (b0 === 0xfe && (b[off + 1] & 0xc0) === 0x80) return true; // link-local fe80::/10
  if (isMappedIPv4(b, off)) return isSpecialUseIPv4(mappedIPv4(b, off));
  for (let i = 0; i < 15; i++) if (b[off + i] !== 0) return false;
  return b[off + 15] <= 1; // :: and ::1
}

/** ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
function isMappedIPv4(b: Uint8Array | Buffer, off: number): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false;
  return b[off + 10] === 0xff && b[off + 11] === 0xff;
}

function mappedIPv4(b: Uint8Array | Buffer, off: number): number {
  return ((b[off + 12] << 24) | (b[off + 13] << 16) | (b[off + 14] << 8) | b[off + 15]) >>> 0;
}

/** Private, shared, loopback, link-local or "this network" IPv4 (special use without multicast/reserved). */
export function isInternalIPv4(a: number): boolean {
  return a >>> 28 < 0xe && isSpecialUseIPv4(a);
}

/** Internal IPv6: special use without multicast (and IPv4-mapped judged as IPv4). */
export function isInternalIPv6(b: Uint8Array | Buffer, off: number): boolean {
  if (b[off] === 0xff) return false;
  if (isMappedIPv4(b, off)) return isInternalIPv4(mappedIPv4(b, off));
  return isSpecialUseIPv6(b, off);
}
