/**
 * `${clientIp}:${clientPort}-${serverIp}:${serverPort}#${n}` (ConnectionInfo.id) built as ONE
 * flat string. A template literal leaves V8 a tree of concatenated pieces several times the
 * size of the text, and every stream keeps its id while it lingers; under SYN scans those trees
 * were most of the bytes promoted to old space. Writing ASCII into a scratch buffer and reading
 * it back once is also faster than Array.join, the other way to get a flat string.
 */
const scratch = Buffer.allocUnsafe(256);

function putText(s: string, o: number): number {
  for (let i = 0; i < s.length; i++) scratch[o++] = s.charCodeAt(i);
  return o;
}

/** Decimal digits of a non-negative integer. */
function putInt(n: number, o: number): number {
  const start = o;
  do {
    scratch[o++] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  for (let i = start, j = o - 1; i < j; i++, j--) {
    const t = scratch[i];
    scratch[i] = scratch[j];
    scratch[j] = t;
  }
  return o;
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
    !(clientPort >= 0 && clientPort <= 65535 && clientPort % 1 === 0) ||
    !(serverPort >= 0 && serverPort <= 65535 && serverPort % 1 === 0);
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
  return scratch.toString('latin1', 0, o);
}
