import fc from 'fast-check';
import { int, oid, seq, tlv } from '../../test/support/ber-builder';
import { FUZZ_NAMES } from './fuzz-hosts';

/**
 * TLS for the fuzzer: handshake flights (ClientHello with SNI/ALPN/versions and unknown
 * extensions; ServerHello, Certificate, ServerHelloDone) cut into records at random points, with
 * stray alerts, ChangeCipherSpec and application data, and X.509 certificates assembled field by
 * field — empty names, no extensions, huge SAN lists, odd key types, broken DER.
 */
const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));
const u16 = (v: number) => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
const u24 = (v: number) => Buffer.from([(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const vec8 = (b: Buffer) => Buffer.concat([Buffer.from([b.length & 0xff]), b]);
const vec24 = (b: Buffer) => Buffer.concat([u24(b.length), b]);
const handshake = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type]), vec24(body)]);
const sniName = fc.oneof(fc.constantFrom(...FUZZ_NAMES), fc.domain(), fc.string({ maxLength: 40 }));

const extension = fc.oneof(
  sniName.map((n) => {
    const host = Buffer.from(n, 'utf8');
    return Buffer.concat([u16(0), vec16(vec16(Buffer.concat([Buffer.from([0]), vec16(host)])))]);
  }),
  fc.constant(
    Buffer.concat([u16(16), vec16(vec16(Buffer.concat([vec8(Buffer.from('h2')), vec8(Buffer.from('http/1.1'))])))]),
  ),
  fc.constant(Buffer.concat([u16(43), vec16(vec8(Buffer.from([0x03, 0x04, 0x03, 0x03, 0x0a, 0x0a])))])),
  fc.tuple(fc.nat(0xffff), bytes(0, 40)).map(([t, d]) => Buffer.concat([u16(t), vec16(d)])),
  // A length that lies.
  fc.tuple(fc.nat(0xffff), bytes(0, 8)).map(([t, d]) => Buffer.concat([u16(t), u16(0xfff0), d])),
);

const clientHello = fc
  .tuple(
    fc.constantFrom(0x0301, 0x0303, 0x0304, 0x7f1c),
    bytes(0, 32),
    fc.array(fc.nat(0xffff), { maxLength: 20 }),
    fc.array(extension, { maxLength: 6 }),
  )
  .map(([version, sid, ciphers, exts]) =>
    handshake(
      1,
      Buffer.concat([
        u16(version),
        Buffer.alloc(32, 7),
        vec8(sid),
        vec16(Buffer.concat(ciphers.map(u16))),
        vec8(Buffer.from([0])),
        vec16(Buffer.concat(exts)),
      ]),
    ),
  );
const serverHello = fc
  .tuple(fc.constantFrom(0x0301, 0x0303, 0x0304), fc.nat(0xffff), fc.array(extension, { maxLength: 3 }))
  .map(([version, cipher, exts]) =>
    handshake(
      2,
      Buffer.concat([
        u16(version),
        Buffer.alloc(32, 9),
        vec8(Buffer.alloc(0)),
        u16(cipher),
        Buffer.from([0]),
        vec16(Buffer.concat(exts)),
      ]),
    ),
  );

// ---- X.509 ------------------------------------------------------------------------------

const attr = fc
  .tuple(
    fc.constantFrom('2.5.4.3', '2.5.4.10', '2.5.4.6', '1.2.840.113549.1.9.1', '2.5.4.99'),
    fc.constantFrom(0x0c, 0x13, 0x16, 0x1e, 0x04),
    fc.string({ maxLength: 30 }),
  )
  .map(([o, tag, v]) => tlv(0x31, seq(oid(o), tlv(tag, v))));
/** A Name: often empty (the issue-13 crash), sometimes with many or odd attributes. */
const dname = fc.oneof(
  fc.constant(seq()),
  fc.array(attr, { minLength: 1, maxLength: 6 }).map((a) => seq(...a)),
);
const time = fc.oneof(
  fc
    .constantFrom('491231235959Z', '500101000000Z', '000101000000Z', '991301000000Z', 'garbage')
    .map((t) => tlv(0x17, t)),
  fc.constantFrom('99991231235959Z', '19500101000000Z', '20261301000000Z', '2026010100').map((t) => tlv(0x18, t)),
);
const algorithm = fc
  .constantFrom(
    '1.2.840.113549.1.1.11',
    '1.2.840.113549.1.1.4',
    '1.2.840.113549.1.1.5',
    '1.2.840.10045.4.3.2',
    '1.3.101.112',
    '1.2.3.4',
  )
  .map((o) => seq(oid(o), tlv(0x05)));
const bitString = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);
const publicKey = fc.oneof(
  // RSA with a modulus of 0 to 4096 bits (random bytes: a key, not necessarily a valid one).
  fc
    .tuple(fc.constantFrom(0, 64, 128, 256, 512), fc.nat(255))
    .map(([n, fill]) =>
      seq(
        seq(oid('1.2.840.113549.1.1.1'), tlv(0x05)),
        bitString(seq(tlv(0x02, Buffer.concat([Buffer.from([0]), Buffer.alloc(n, fill | 0x80)])), int(65537))),
      ),
    ),
  bytes(0, 65).map((p) =>
    seq(seq(oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7')), bitString(Buffer.concat([Buffer.from([4]), p]))),
  ),
  bytes(32, 32).map((k) => seq(seq(oid('1.3.101.112')), bitString(k))),
  // DSA with small or zero domain parameters (node's key details once aborted the process on such keys).
  fc
    .tuple(fc.constantFrom(0, 1, 7, 65537), fc.constantFrom(0, 1, 3), fc.constantFrom(0, 1, 2), fc.nat(1e6))
    .map(([p, q, g, y]) => seq(seq(oid('1.2.840.10040.4.1'), seq(int(p), int(q), int(g))), bitString(int(y)))),
  bytes(0, 40).map((k) => seq(seq(oid('1.2.643.7.1.1.1.1')), bitString(k))),
);
const sanEntry = fc.oneof(
  sniName.map((n) => tlv(0x82, n)),
  fc.ipV4().map((ip) => tlv(0x87, Buffer.from(ip.split('.').map(Number)))),
  bytes(0, 20).map((b) => tlv(0x87, b)),
  fc.string({ maxLength: 30 }).map((u) => tlv(0x86, u)),
  fc.string({ maxLength: 20 }).map((e) => tlv(0x81, e)),
);
const sanCount = fc.oneof({ weight: 5, arbitrary: fc.nat(6) }, fc.constantFrom(500, 3000));
const extensions = fc.oneof(
  fc.constant(null),
  fc
    .tuple(
      sanCount.chain((n) => fc.array(sanEntry, { minLength: n, maxLength: n })),
      fc.boolean(),
      fc.array(
        fc.tuple(
          fc.constantFrom('2.5.29.19', '2.5.29.15', '2.5.29.37', '1.3.6.1.5.5.7.1.1', '2.5.29.99'),
          bytes(0, 12),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([san, critical, others]) =>
      tlv(
        0xa3,
        seq(
          seq(oid('2.5.29.17'), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, seq(...san))),
          ...others.map(([o, v]) => seq(oid(o), tlv(0x04, v))),
        ),
      ),
    ),
);

/** A certificate assembled field by field; a third of them then damaged at one byte or cut. */
export function derCertificate(): fc.Arbitrary<Buffer> {
  const cert = fc
    .tuple(fc.boolean(), bytes(0, 21), algorithm, dname, time, time, dname, publicKey, extensions, bytes(0, 64))
    .map(([v3, serial, alg, issuer, nb, na, subject, key, exts, sig]) => {
      const tbs = seq(
        ...(v3 ? [tlv(0xa0, int(2))] : []),
        tlv(0x02, serial.length ? serial : Buffer.from([0])),
        alg,
        issuer,
        seq(nb, na),
        subject,
        key,
        ...(exts === null ? [] : [exts]),
      );
      return seq(tbs, alg, bitString(sig));
    });
  return fc.oneof(
    { weight: 4, arbitrary: cert },
    fc.tuple(cert, fc.nat(), fc.nat(255)).map(([der, at, v]) => {
      const b = Buffer.from(der);
      b[at % b.length] = v;
      return b;
    }),
    fc.tuple(cert, fc.nat()).map(([der, at]) => der.subarray(0, at % der.length)),
    bytes(0, 200),
  );
}

const certificateMessage = fc
  .array(derCertificate(), { maxLength: 3 })
  .map((certs) => handshake(11, vec24(Buffer.concat(certs.map(vec24)))));

/**
 * One direction's TLS bytes: its handshake flight (plus odd records) cut into records of random
 * sizes; sometimes a record claims a length it does not have.
 */
export function tlsRecords(client: boolean): fc.Arbitrary<Buffer> {
  const flight = client
    ? fc.tuple(clientHello).map(([h]) => h)
    : fc
        .tuple(serverHello, certificateMessage)
        .map(([h, cert]) => Buffer.concat([h, cert, handshake(14, Buffer.alloc(0))]));
  return fc
    .tuple(
      flight,
      fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 5 }),
      fc.constantFrom(0x0301, 0x0303, 0x0300, 0xfeff),
      fc.array(fc.tuple(fc.constantFrom(20, 21, 23, 24, 99), bytes(0, 30)), { maxLength: 2 }),
      fc.boolean(),
    )
    .map(([hs, cuts, version, extra, lie]) => {
      const records: Buffer[] = [];
      const record = (type: number, body: Buffer, len = body.length) =>
        Buffer.concat([Buffer.from([type]), u16(version), u16(len), body]);
      let at = 0;
      for (const cut of [...cuts, hs.length]) {
        if (at >= hs.length) break;
        const piece = hs.subarray(at, Math.min(hs.length, at + cut));
        records.push(record(22, piece));
        at += piece.length;
      }
      for (const [type, body] of extra) records.push(record(type, body, lie ? 0x4800 : body.length));
      return Buffer.concat(records);
    });
}
