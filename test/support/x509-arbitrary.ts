import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { oid, seq, tlv } from './ber-builder';

/**
 * fast-check arbitraries for X.509 certificates as a hostile server would send them: the DER is
 * built field by field (RFC 5280 §4.1), every field drawn from valid, odd and broken values —
 * empty or huge DNs in every string type, no extensions or thousands of SANs, key types node
 * parses and ones it does not, dates in both time types and nonsense, junk signatures.
 */

const int = (b: Buffer): Buffer => tlv(0x02, b);
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);
const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));

/** SubjectPublicKeyInfo DERs of real keys, made once (RSA-2048 generation costs ~100 ms). */
let spkis: Buffer[] | null = null;
function realSpkis(): Buffer[] {
  if (spkis !== null) return spkis;
  const der = (k: ReturnType<typeof generateKeyPairSync>['publicKey']) =>
    k.export({ type: 'spki', format: 'der' }) as Buffer;
  spkis = [
    der(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey),
    der(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey),
    der(generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).publicKey),
    der(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey),
    der(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey),
    der(generateKeyPairSync('ec', { namedCurve: 'brainpoolP512r1' }).publicKey),
    der(generateKeyPairSync('ed25519').publicKey),
    der(generateKeyPairSync('ed448').publicKey),
    der(generateKeyPairSync('x25519').publicKey),
    der(generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 }).publicKey),
  ];
  return spkis;
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

const oids = fc.oneof(
  fc.constantFrom('2.5.4.3', '2.5.4.6', '2.5.4.10', '2.5.4.11', '1.2.840.113549.1.9.1', '0.9.2342.19200300.100.1.25'),
  fc.array(fc.nat({ max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 8 }).map((a) => `1.${a.join('.')}`),
);

/** Directory strings in every ASN.1 string type, including ones node must convert (BMP, Universal, T61). */
const dirString = fc.oneof(
  fc.string({ maxLength: 64 }).map((s) => tlv(0x0c, Buffer.from(s, 'utf8'))),
  fc
    .constantFrom('<script>alert(1)</script>', 'a\nb', 'x\u0000y', '', '"\'&', 'ÿ€'.repeat(20))
    .map((s) => tlv(0x0c, s)),
  bytes(64).map((b) => tlv(0x13, b)), // PrintableString with any bytes
  bytes(64).map((b) => tlv(0x16, b)), // IA5String
  bytes(64).map((b) => tlv(0x14, b)), // T61String
  bytes(64).map((b) => tlv(0x1e, b)), // BMPString, odd lengths included
  bytes(64).map((b) => tlv(0x1c, b)), // UniversalString
  bytes(16).map((b) => tlv(0x04, b)), // not a string at all
);

const name = fc.oneof(
  fc.constant(seq()), // the empty DN
  fc
    .array(
      fc
        .array(fc.tuple(oids, dirString), { minLength: 0, maxLength: 3 })
        .map((atvs) => tlv(0x31, ...atvs.map(([o, v]) => seq(oid(o), v)))),
      { maxLength: 12 },
    )
    .map((rdns) => seq(...rdns)),
);

const time = fc.oneof(
  fc
    .date({ min: new Date('1950-01-01'), max: new Date('2049-12-31'), noInvalidDate: true })
    .map((d) => tlv(0x17, d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z')),
  fc
    .date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
    .map((d) => tlv(0x18, d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z')),
  fc.string({ maxLength: 20 }).map((s) => tlv(0x17, s)),
  fc.string({ maxLength: 20 }).map((s) => tlv(0x18, s)),
  bytes(8).map((b) => tlv(0x02, b)),
);

const generalName = fc.oneof(
  fc.string({ maxLength: 40 }).map((s) => tlv(0x82, s)), // dNSName
  fc.constantFrom('*.example', '', '..', 'a'.repeat(300), 'xn--nxa', '<b>x</b>').map((s) => tlv(0x82, s)),
  fc.oneof(bytes(4), bytes(16), bytes(7)).map((b) => tlv(0x87, b)), // iPAddress, odd lengths too
  fc.string({ maxLength: 40 }).map((s) => tlv(0x86, s)), // URI
  fc.string({ maxLength: 40 }).map((s) => tlv(0x81, s)), // rfc822Name
  name.map((n) => tlv(0xa4, n)), // directoryName
  fc.tuple(oids, bytes(20)).map(([o, b]) => tlv(0xa0, oid(o), explicit(0, tlv(0x0c, b)))), // otherName
  bytes(10).map((b) => tlv(0x88, b)), // registeredID with junk
);

const sanExtension = fc.oneof(
  fc.array(generalName, { maxLength: 20 }),
  // Thousands of names (a CDN's certificate has hundreds; this is the hostile end).
  fc.integer({ min: 1000, max: 4000 }).map((n) => Array.from({ length: n }, (_, i) => tlv(0x82, `h${i}.many.test`))),
);

const extension = fc.oneof(
  fc
    .tuple(sanExtension, fc.boolean())
    .map(([names, critical]) =>
      seq(oid('2.5.29.17'), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, seq(...names))),
    ),
  fc
    .tuple(oids, fc.boolean(), bytes(40))
    .map(([o, critical, v]) => seq(oid(o), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, v))),
  bytes(30).map((v) => seq(oid('2.5.29.17'), tlv(0x04, v))), // a SAN that is not a GeneralNames
  fc.constant(seq(oid('2.5.29.19'), tlv(0x04, seq(tlv(0x01, Buffer.from([0xff])))))), // basicConstraints CA
);

const sigAlg = fc.oneof(
  fc
    .constantFrom(
      '1.2.840.113549.1.1.11',
      '1.2.840.113549.1.1.4',
      '1.2.840.10045.4.3.2',
      '1.3.101.112',
      '1.2.840.10040.4.3',
    )
    .map((o) => seq(oid(o))),
  oids.map((o) => seq(oid(o), tlv(0x05, Buffer.alloc(0)))),
  bytes(12).map((b) => seq(tlv(0x06, b))), // an OID made of junk
);

const version = fc.oneof(
  fc.constant(Buffer.alloc(0)), // v1: field absent
  fc.constantFrom(0, 1, 2, 3, 255).map((v) => explicit(0, int(Buffer.from([v])))),
);

const serial = fc.oneof(bytes(0), bytes(20), bytes(40), fc.constant(Buffer.from([0x80]))).map(int);

/** A whole certificate built from the fields above. */
export function arbitraryCertificate(): fc.Arbitrary<Buffer> {
  const spki = fc.oneof(
    fc.integer({ min: 0, max: realSpkis().length - 1 }).map((i) => realSpkis()[i]),
    fc.tuple(sigAlg, bytes(80)).map(([alg, key]) => seq(alg, bitString(key))),
  );
  return fc
    .record({
      version,
      serial,
      sigAlg,
      issuer: name,
      notBefore: time,
      notAfter: time,
      subject: name,
      spki,
      extensions: fc.option(fc.array(extension, { maxLength: 4 }), { nil: undefined }),
      outerAlg: sigAlg,
      signature: bytes(300),
    })
    .map((c) => {
      const tbs = seq(
        c.version,
        c.serial,
        c.sigAlg,
        c.issuer,
        seq(c.notBefore, c.notAfter),
        c.subject,
        c.spki,
        ...(c.extensions === undefined ? [] : [explicit(3, seq(...c.extensions))]),
      );
      return seq(tbs, c.outerAlg, bitString(c.signature));
    });
}

/** Byte-level damage to a real certificate: flips, truncation, a length byte, a spliced run. */
export function damagedCertificate(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat(), { nil: undefined }),
    )
    .map(([i, sets, cut]) => {
      const b = Buffer.from(seeds[i]);
      for (const [at, v] of sets) b[at % b.length] = v;
      return cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
    });
}
