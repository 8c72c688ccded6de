import { createHash, X509Certificate } from 'node:crypto';
import type { TlsCertificateInfo } from '../events';

/**
 * DER certificate → TlsCertificateInfo through node:crypto. Node does not expose the signature
 * algorithm, so it is read from the DER (Certificate ::= SEQUENCE { tbs, signatureAlgorithm, sig }).
 * Returns null when node cannot parse the certificate.
 */

const SIG_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
  '1.2.840.10040.4.3': 'dsa-with-SHA1',
};

const CURVE_BITS: Record<string, number> = {
  prime256v1: 256,
  secp256r1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp256k1: 256,
  secp224r1: 224,
};

/** Tag/length header at `off`: [contentStart, contentEnd] or null when it does not fit. */
function derHeader(b: Buffer, off: number, end: number): [number, number] | null {
  if (off + 2 > end) return null;
  let len = b[off + 1];
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > end) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i];
    p += n;
  }
  return p + len <= end ? [p, p + len] : null;
}

function oidText(b: Buffer, s: number, e: number): string {
  if (s >= e) return '';
  const parts: number[] = [Math.floor(b[s] / 40), b[s] % 40];
  let v = 0;
  for (let i = s + 1; i < e; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if ((b[i] & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

export function signatureAlgorithmOf(der: Buffer): string | undefined {
  const cert = derHeader(der, 0, der.length);
  if (cert === null || der[0] !== 0x30) return undefined;
  const tbs = derHeader(der, cert[0], cert[1]);
  if (tbs === null) return undefined;
  const alg = derHeader(der, tbs[1], cert[1]);
  if (alg === null || der[tbs[1]] !== 0x30) return undefined;
  const oid = derHeader(der, alg[0], alg[1]);
  if (oid === null || der[alg[0]] !== 0x06) return undefined;
  const text = oidText(der, oid[0], oid[1]);
  return SIG_OIDS[text] ?? text;
}

function isoDate(s: string): string {
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t).toISOString() : s;
}

/** "DNS:a, IP Address:1.2.3.4" → ['a', '1.2.3.4'] (other name forms are skipped). */
function sanList(s: string | undefined): string[] {
  const out: string[] = [];
  if (s === undefined) return out;
  for (const part of s.split(', ')) {
    if (part.startsWith('DNS:')) out.push(part.slice(4));
    else if (part.startsWith('IP Address:')) out.push(part.slice(11));
  }
  return out;
}

/**
 * Parsed certificates by SHA-256 of their DER. Servers present the same certificate on every
 * handshake, and X509Certificate (plus the self-signature check) costs far more than hashing:
 * a pure memo, bounded, so results are identical with or without it.
 */
const CACHE_MAX = 1024;
const cache = new Map<string, TlsCertificateInfo | null>();

export function parseCertificate(der: Buffer): TlsCertificateInfo | null {
  const sha256 = createHash('sha256').update(der).digest('hex');
  let info = cache.get(sha256);
  if (info === undefined) {
    info = parseUncached(der, sha256);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(sha256, info);
  }
  // Subscribers own what they receive: a copy, never the cached object.
  return info === null ? null : { ...info, san: [...info.san] };
}

function parseUncached(der: Buffer, sha256: string): TlsCertificateInfo | null {
  let x: X509Certificate;
  try {
    x = new X509Certificate(der);
  } catch {
    return null;
  }
  const subject = x.subject.split('\n').join(', ');
  const issuer = x.issuer.split('\n').join(', ');
  const info: TlsCertificateInfo = {
    sha256,
    subject,
    issuer,
    san: sanList(x.subjectAltName),
    validFrom: isoDate(x.validFrom),
    validTo: isoDate(x.validTo),
    serialNumber: x.serialNumber,
    selfSigned: false,
  };
  try {
    const key = x.publicKey;
    info.keyType = key.asymmetricKeyType;
    const det = key.asymmetricKeyDetails;
    if (det?.modulusLength !== undefined) info.keyBits = det.modulusLength;
    else if (det?.namedCurve !== undefined && CURVE_BITS[det.namedCurve] !== undefined)
      info.keyBits = CURVE_BITS[det.namedCurve];
    else if (info.keyType === 'ed25519') info.keyBits = 256;
    else if (info.keyType === 'ed448') info.keyBits = 456;
    info.selfSigned = subject === issuer && x.verify(key);
  } catch {
    // unsupported key types: leave key fields unset, not self-signed as far as we can tell
  }
  const sig = signatureAlgorithmOf(der);
  if (sig !== undefined) info.signatureAlgorithm = sig;
  return info;
}
