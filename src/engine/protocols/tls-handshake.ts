import type { TlsClientHelloEvent, TlsServerHelloEvent } from '../events';

/**
 * TLS handshake message bodies (RFC 8446 §4, RFC 5246 §7.4) → plain fields. Every read is
 * bounds-checked against the enclosing vector; a body that does not fit returns null.
 */

export type ClientHelloFields = Omit<TlsClientHelloEvent, 'conn' | 'frame' | 'time'>;
export type ServerHelloFields = Omit<TlsServerHelloEvent, 'conn' | 'frame' | 'time'>;

export const EXT = {
  SERVER_NAME: 0,
  SUPPORTED_GROUPS: 10,
  EC_POINT_FORMATS: 11,
  SIGNATURE_ALGORITHMS: 13,
  ALPN: 16,
  SUPPORTED_VERSIONS: 43,
} as const;

export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

function u16List(b: Buffer, off: number, end: number): number[] {
  const out: number[] = [];
  for (let i = off; i + 2 <= end; i += 2) out.push(b.readUInt16BE(i));
  return out;
}

/** Protocol names of an ALPN extension body (2-byte list length, 1-byte name lengths). */
function alpnList(b: Buffer, off: number, end: number): string[] {
  const out: string[] = [];
  if (off + 2 > end) return out;
  const listEnd = Math.min(end, off + 2 + b.readUInt16BE(off));
  let i = off + 2;
  while (i < listEnd) {
    const n = b[i];
    if (i + 1 + n > listEnd) break;
    out.push(b.toString('latin1', i + 1, i + 1 + n));
    i += 1 + n;
  }
  return out;
}

/** First host_name of a server_name extension body. */
function sniOf(b: Buffer, off: number, end: number): string | undefined {
  if (off + 2 > end) return undefined;
  const listEnd = Math.min(end, off + 2 + b.readUInt16BE(off));
  let i = off + 2;
  while (i + 3 <= listEnd) {
    const type = b[i];
    const n = b.readUInt16BE(i + 1);
    if (i + 3 + n > listEnd) return undefined;
    if (type === 0) return b.toString('latin1', i + 3, i + 3 + n);
    i += 3 + n;
  }
  return undefined;
}

export function parseClientHello(b: Buffer): ClientHelloFields | null {
  const end = b.length;
  if (end < 2 + 32 + 1) return null;
  const version = b.readUInt16BE(0);
  let i = 34;
  const sidLen = b[i];
  i += 1 + sidLen;
  if (i + 2 > end) return null;
  const csLen = b.readUInt16BE(i);
  i += 2;
  if (i + csLen > end) return null;
  const cipherSuites = u16List(b, i, i + csLen);
  i += csLen;
  if (i + 1 > end) return null;
  const compLen = b[i];
  i += 1 + compLen;
  if (i > end) return null;
  const out: ClientHelloFields = {
    version,
    supportedVersions: [],
    cipherSuites,
    extensions: [],
    supportedGroups: [],
    ecPointFormats: [],
    signatureAlgorithms: [],
    alpn: [],
  };
  // No extensions at all: an SSLv3-era hello.
  forEachExtension(b, i, end, (type, s, e) => {
    out.extensions.push(type);
    switch (type) {
      case EXT.SERVER_NAME:
        out.sni = sniOf(b, s, e);
        break;
      case EXT.SUPPORTED_GROUPS:
        if (s + 2 <= e) out.supportedGroups = u16List(b, s + 2, Math.min(e, s + 2 + b.readUInt16BE(s)));
        break;
      case EXT.EC_POINT_FORMATS:
        if (s + 1 <= e) for (let k = s + 1; k < Math.min(e, s + 1 + b[s]); k++) out.ecPointFormats.push(b[k]);
        break;
      case EXT.SIGNATURE_ALGORITHMS:
        if (s + 2 <= e) out.signatureAlgorithms = u16List(b, s + 2, Math.min(e, s + 2 + b.readUInt16BE(s)));
        break;
      case EXT.ALPN:
        out.alpn = alpnList(b, s, e);
        break;
      case EXT.SUPPORTED_VERSIONS:
        if (s + 1 <= e) {
          const list = u16List(b, s + 1, Math.min(e, s + 1 + b[s]));
          for (const v of list) if (!isGrease(v)) out.supportedVersions.push(v);
        }
        break;
    }
  });
  if (out.sni === undefined) delete out.sni;
  return out;
}

export function parseServerHello(b: Buffer): ServerHelloFields | null {
  const end = b.length;
  if (end < 2 + 32 + 1) return null;
  const version = b.readUInt16BE(0);
  let i = 34;
  i += 1 + b[i];
  if (i + 3 > end) return null;
  const cipherSuite = b.readUInt16BE(i);
  i += 3; // cipher suite + compression method
  const out: ServerHelloFields = { version, selectedVersion: version, cipherSuite, extensions: [] };
  forEachExtension(b, i, end, (type, s, e) => {
    out.extensions.push(type);
    if (type === EXT.SUPPORTED_VERSIONS && e - s === 2) out.selectedVersion = b.readUInt16BE(s);
    else if (type === EXT.ALPN) {
      const names = alpnList(b, s, e);
      if (names.length > 0) out.alpn = names[0];
    }
  });
  return out;
}

/**
 * Walks a hello's extension block starting at `i` (its 2-byte length): calls `each` with the
 * type and the [s, e) range of every extension that fits; stops at the first that does not.
 */
function forEachExtension(b: Buffer, i: number, end: number, each: (type: number, s: number, e: number) => void): void {
  if (i + 2 > end) return;
  const extEnd = Math.min(end, i + 2 + b.readUInt16BE(i));
  i += 2;
  while (i + 4 <= extEnd) {
    const type = b.readUInt16BE(i);
    const s = i + 4;
    const e = s + b.readUInt16BE(i + 2);
    if (e > extEnd) return;
    each(type, s, e);
    i = e;
  }
}

/** DER certificates of a TLS <= 1.2 Certificate message (3-byte list length, 3-byte lengths). */
export function parseCertificateList(b: Buffer): Buffer[] | null {
  if (b.length < 3) return null;
  const listEnd = Math.min(b.length, 3 + b.readUIntBE(0, 3));
  const out: Buffer[] = [];
  let i = 3;
  while (i + 3 <= listEnd) {
    const n = b.readUIntBE(i, 3);
    if (i + 3 + n > listEnd) return out.length > 0 ? out : null;
    out.push(b.subarray(i + 3, i + 3 + n));
    i += 3 + n;
  }
  return out;
}
