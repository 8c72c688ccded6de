import { createHash, X509Certificate } from 'node:crypto';
import type { TlsCertificateInfo } from '../events';
import { derHeader, oidText } from './der';
import { publicKeyOf } from './x509-public-key';

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

/** "CN=a\nO=b" → "CN=a, O=b"; an empty DN (undefined from node) → "". */
function dn(s: unknown): string {
  return typeof s === 'string' ? s.split('\n').join(', ') : '';
}

/** A getter's string, or '' when node has none (undefined, or null in some versions). */
function text(s: unknown): string {
  return typeof s === 'string' ? s : '';
}

function isoDate(s: string): string {
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t).toISOString() : s;
}

/** "DNS:a, IP Address:1.2.3.4" → ['a', '1.2.3.4'] (other name forms are skipped). */
function sanList(s: unknown): string[] {
  const out: string[] = [];
  if (typeof s !== 'string') return out;
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
  // Node leaves a getter undefined when the certificate lacks the field (an empty subject or
  // issuer DN, no validity it can print): anyone on the network can present such a certificate.
  const subject = dn(x.subject);
  const issuer = dn(x.issuer);
  const info: TlsCertificateInfo = {
    sha256,
    subject,
    issuer,
    san: sanList(x.subjectAltName),
    validFrom: isoDate(text(x.validFrom)),
    validTo: isoDate(text(x.validTo)),
    serialNumber: text(x.serialNumber),
    selfSigned: false,
  };
  // Key type and size from the DER, not from node's KeyObject: asymmetricKeyDetails aborts the
  // whole process (a native CHECK in GetDsaKeyDetail, not an exception) on some crafted DSA keys
  // that X509Certificate accepts — found by the certificate fuzzer (tls-certificate.spec.ts).
  const key = publicKeyOf(der);
  if (key.keyType !== undefined) info.keyType = key.keyType;
  if (key.keyBits !== undefined) info.keyBits = key.keyBits;
  try {
    info.selfSigned = subject === issuer && x.verify(x.publicKey);
  } catch {
    // a key node cannot use: not self-signed as far as we can tell
  }
  const sig = signatureAlgorithmOf(der);
  if (sig !== undefined) info.signatureAlgorithm = sig;
  return info;
}
