import { formatIPv4 } from '../decode/address';

/**
 * `${clientIp}:${clientPort}-${serverIp}:${serverPort}#${n}` (ConnectionInfo.id) built as ONE
 * flat string. A template literal leaves V8 a tree of concatenated pieces several times the
 * size of the text, and every stream keeps its id while it lingers; under SYN scans those trees
 * were most of the bytes promoted to old space. Writing ASCII into a scratch buffer and reading
 * it back once is also faster than Array.join, the other way to get a flat string.
 */
const scratch = Buffer.allocUnsafe(256) as Buffer & { latin1Slice(start: number, end: number): string };
// latin1Slice is what toString('latin1', ...) ends in; calling it directly skips the encoding
// lookup (Node's Buffer.prototype has carried it since before v4; the spec pins the output).

function putText(s: string, o: number): number {
  for (let i = 0; i < s.length; i++) scratch[o++] = s.charCodeAt(i);
  return o;
}

/** Decimal digits of a non-negative integer. */
function putInt(n: number, o: number): number {
  if (n <= 0x7fffffff) return putSmall(n | 0, o);
  const start = o;
  do {
    scratch[o++] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return reverse(start, o);
}

/** putInt for 0 <= n < 2^31, in integer arithmetic (the double % and floor cost most of the id). */
function putSmall(n: number, o: number): number {
  if (n < 10) {
    scratch[o] = 48 + n;
    return o + 1;
  }
  const start = o;
  while (n > 0) {
    const q = (n / 10) | 0;
    scratch[o++] = 48 + n - q * 10;
    n = q;
  }
  return reverse(start, o);
}

function reverse(start: number, o: number): number {
  for (let i = start, j = o - 1; i < j; i++, j--) {
    const t = scratch[i];
    scratch[i] = scratch[j];
    scratch[j] = t;
  }
  return o;
}

/** Dotted-quad digits of a 32-bit address (the text formatIPv4 gives), without reading a string. */
function putIPv4(n: number, o: number): number {
  o = putSmall((n >>> 24) & 255, o);
  scratch[o++] = 46; // '.'
  o = putSmall((n >>> 16) & 255, o);
  scratch[o++] = 46;
  o = putSmall((n >>> 8) & 255, o);
  scratch[o++] = 46;
  return putSmall(n & 255, o);
}

function isPort(p: number): boolean {
  return p >= 0 && p <= 65535 && p % 1 === 0;
}

/**
 * connectionId() for IPv4 endpoints given as 32-bit numbers: the digits are written straight
 * from the numbers (reading the memoised address texts char by char cost more than the rest).
 */
export function connectionId4(
  clientIp: number,
  clientPort: number,
  serverIp: number,
  serverPort: number,
  n: number,
): string {
  if (!Number.isSafeInteger(n) || n < 0 || !isPort(clientPort) || !isPort(serverPort)) {
    return connectionId(formatIPv4(clientIp), clientPort, formatIPv4(serverIp), serverPort, n);
  }
  let o = putIPv4(clientIp, 0);
  scratch[o++] = 58; // ':'
  o = putSmall(clientPort, o);
  scratch[o++] = 45; // '-'
  o = putIPv4(serverIp, o);
  scratch[o++] = 58;
  o = putSmall(serverPort, o);
  scratch[o++] = 35; // '#'
  o = putInt(n, o);
  return scratch.latin1Slice(0, o);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

export function connectionId(
  clientIp: string,
  clientPort: number,
  serverIp: string,
  serverPort: number,
  n: number,
): string {
  // Address texts are ASCII and at most 45 chars; anything else takes the plain path.
  const plain =
    clientIp.length + serverIp.length > 160 ||
    !Number.isSafeInteger(n) ||
    n < 0 ||
    !isAscii(clientIp) ||
    !isAscii(serverIp) ||
    !isPort(clientPort) ||
    !isPort(serverPort);
  if (plain) return `${clientIp}:${clientPort}-${serverIp}:${serverPort}#${n}`;
  let o = putText(clientIp, 0);
  scratch[o++] = 58; // ':'
  o = putInt(clientPort, o);
  scratch[o++] = 45; // '-'
  o = putText(serverIp, o);
  scratch[o++] = 58;
  o = putInt(serverPort, o);
  scratch[o++] = 35; // '#'
  o = putInt(n, o);
  return scratch.latin1Slice(0, o);
}
