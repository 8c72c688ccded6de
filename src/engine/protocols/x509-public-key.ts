import { derHeader, oidText } from './der';

/**
 * A certificate's public key type and size, read from its SubjectPublicKeyInfo (RFC 5280 §4.1.2.7)
 * with bounds-checked DER walking. Names follow node's `asymmetricKeyType`.
 */
export interface PublicKeySummary {
  keyType?: string;
  keyBits?: number;
}

const KEY_TYPES: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsa',
  '1.2.840.113549.1.1.10': 'rsa-pss',
  '1.2.840.10045.2.1': 'ec',
  '1.2.840.10040.4.1': 'dsa',
  '1.2.840.10046.2.1': 'dh',
  '1.3.101.110': 'x25519',
  '1.3.101.111': 'x448',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
};

/** Fixed sizes: the key type's, or the named curve's (RFC 5480, RFC 5639, SEC 2). */
const FIXED_BITS: Record<string, number> = {
  x25519: 255,
  x448: 448,
  ed25519: 256,
  ed448: 456,
  '1.2.840.10045.3.1.1': 192, // prime192v1
  '1.3.132.0.33': 224, // secp224r1
  '1.2.840.10045.3.1.7': 256, // prime256v1
  '1.3.132.0.10': 256, // secp256k1
  '1.3.132.0.34': 384, // secp384r1
  '1.3.132.0.35': 521, // secp521r1
  '1.3.36.3.3.2.8.1.1.7': 256, // brainpoolP256r1
  '1.3.36.3.3.2.8.1.1.11': 384, // brainpoolP384r1
  '1.3.36.3.3.2.8.1.1.13': 512, // brainpoolP512r1
};

/** Children of a constructed value as [tag, contentStart, contentEnd]. */
function children(b: Buffer, s: number, e: number): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (let at = s; at < e;) {
    const h = derHeader(b, at, e);
    if (h === null) break;
    out.push([b[at], h[0], h[1]]);
    at = h[1];
  }
  return out;
}

/** Bits of an unsigned big-endian INTEGER's content (leading zero bytes ignored). */
function integerBits(b: Buffer, s: number, e: number): number | undefined {
  while (s < e && b[s] === 0) s++;
  if (s >= e) return undefined;
  return (e - s - 1) * 8 + (32 - Math.clz32(b[s]));
}

export function publicKeyOf(cert: Buffer): PublicKeySummary {
  const c = derHeader(cert, 0, cert.length);
  if (c === null || cert[0] !== 0x30) return {};
  const tbs = children(cert, c[0], c[1])[0];
  if (tbs === undefined || tbs[0] !== 0x30) return {};
  const fields = children(cert, tbs[1], tbs[2]);
  const spki = fields[fields[0]?.[0] === 0xa0 ? 6 : 5];
  if (spki === undefined || spki[0] !== 0x30) return {};
  const [alg, key] = children(cert, spki[1], spki[2]);
  if (alg === undefined || alg[0] !== 0x30) return {};
  const [algOid, params] = children(cert, alg[1], alg[2]);
  if (algOid === undefined || algOid[0] !== 0x06) return {};
  const keyType = KEY_TYPES[oidText(cert, algOid[1], algOid[2])];
  if (keyType === undefined) return {};
  const out: PublicKeySummary = { keyType };
  let bits: number | undefined = FIXED_BITS[keyType];
  if (keyType === 'ec' && params?.[0] === 0x06) bits = FIXED_BITS[oidText(cert, params[1], params[2])];
  else if ((keyType === 'dsa' || keyType === 'dh') && params?.[0] === 0x30) {
    const p = children(cert, params[1], params[2])[0];
    if (p?.[0] === 0x02) bits = integerBits(cert, p[1], p[2]);
  } else if ((keyType === 'rsa' || keyType === 'rsa-pss') && key?.[0] === 0x03 && key[2] > key[1]) {
    // BIT STRING: one byte of unused bits, then RSAPublicKey ::= SEQUENCE { modulus, exponent }.
    const rsa = children(cert, key[1] + 1, key[2])[0];
    const n = rsa?.[0] === 0x30 ? children(cert, rsa[1], rsa[2])[0] : undefined;
    if (n?.[0] === 0x02) bits = integerBits(cert, n[1], n[2]);
  }
  if (bits !== undefined) out.keyBits = bits;
  return out;
}
