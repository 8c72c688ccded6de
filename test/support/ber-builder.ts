/**
 * Hand-built BER (X.690) for SNMP/LDAP tests: each helper returns the encoded TLV, so a test
 * spells out the message structure field by field, independent of the reader under test.
 */
export function tlv(tag: number, ...parts: Array<Buffer | string>): Buffer {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else if (n < 0x100) len = Buffer.from([0x81, n]);
  else if (n < 0x10000) len = Buffer.from([0x82, n >> 8, n & 0xff]);
  else len = Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

/** Minimal two's-complement INTEGER (or ENUMERATED with tag 0x0a). */
export function int(v: number, tag = 0x02): Buffer {
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x !== 0 && x !== -1);
  if (v >= 0 && bytes[0] & 0x80) bytes.unshift(0);
  if (v < 0 && !(bytes[0] & 0x80)) bytes.unshift(0xff);
  return tlv(tag, Buffer.from(bytes));
}

export const seq = (...p: Array<Buffer | string>): Buffer => tlv(0x30, ...p);
export const octets = (s: string | Buffer): Buffer => tlv(0x04, s);
export const nul = (): Buffer => Buffer.from([0x05, 0x00]);
export function oid(dotted: string): Buffer {
  const n = dotted.split('.').map(Number);
  const out = [n[0] * 40 + n[1]];
  for (const v of n.slice(2)) {
    const b = [v & 0x7f];
    let x = Math.floor(v / 128);
    while (x > 0) {
      b.unshift((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    out.push(...b);
  }
  return tlv(0x06, Buffer.from(out));
}

// ---- SNMP ------------------------------------------------------------------------------------

const PDU_TAG: Record<string, number> = { get: 0xa0, getnext: 0xa1, response: 0xa2, set: 0xa3, getbulk: 0xa5 };

/** A v1 (version 0) or v2c (version 1) message with one varbind (sysDescr.0). */
export function snmpCommunity(
  version: 0 | 1,
  community: string,
  pdu: keyof typeof PDU_TAG,
  requestId: number,
  errorStatus = 0,
): Buffer {
  const vb = seq(seq(oid('1.3.6.1.2.1.1.1.0'), nul()));
  return seq(int(version), octets(community), tlv(PDU_TAG[pdu], int(requestId), int(errorStatus), int(0), vb));
}

/** A v3 message (USM) with a plaintext scoped PDU, or an encrypted one when `priv`. */
export function snmpV3(user: string, pdu: keyof typeof PDU_TAG, requestId: number, priv = false): Buffer {
  const flags = Buffer.from([priv ? 0x07 : 0x04]);
  const header = seq(int(4242), int(65507), octets(flags), int(3));
  const usm = seq(
    octets(Buffer.from('800000090300aabbccddeeff', 'hex')),
    int(5),
    int(1234),
    octets(user),
    octets(''),
    octets(''),
  );
  const scoped = seq(octets(''), octets(''), tlv(PDU_TAG[pdu], int(requestId), int(0), int(0), seq()));
  return seq(int(3), header, octets(usm), priv ? octets(Buffer.alloc(32, 0x5a)) : scoped);
}

// ---- LDAP ------------------------------------------------------------------------------------

export function ldapSimpleBind(messageId: number, dn: string, password: string): Buffer {
  return seq(int(messageId), tlv(0x60, int(3), octets(dn), tlv(0x80, password)));
}

/** SASL bind; `credentials` (raw octets, RFC 4511 §4.2) is left out when undefined. */
export function ldapSaslBind(messageId: number, mechanism: string, credentials?: string | Buffer): Buffer {
  const creds = credentials === undefined ? [] : [octets(credentials)];
  return seq(int(messageId), tlv(0x60, int(3), octets(''), tlv(0xa3, octets(mechanism), ...creds)));
}

/** SASL PLAIN credentials (RFC 4616): authzid NUL authcid NUL passwd. */
export function saslPlainMessage(authzid: string, authcid: string, password: string): Buffer {
  return Buffer.from(`${authzid}\0${authcid}\0${password}`, 'utf8');
}

/** BindResponse; `serverSaslCreds` ([7], RFC 4511 §4.2.2) is left out when undefined. */
export function ldapBindResponse(
  messageId: number,
  resultCode: number,
  diagnostic = '',
  serverSaslCreds?: string | Buffer,
): Buffer {
  const creds = serverSaslCreds === undefined ? [] : [tlv(0x87, serverSaslCreds)];
  return seq(int(messageId), tlv(0x61, int(resultCode, 0x0a), octets(''), octets(diagnostic), ...creds));
}

export function ldapStartTlsRequest(messageId: number): Buffer {
  return seq(int(messageId), tlv(0x77, tlv(0x80, '1.3.6.1.4.1.1466.20037')));
}

export function ldapStartTlsResponse(messageId: number, resultCode: number): Buffer {
  return seq(int(messageId), tlv(0x78, int(resultCode, 0x0a), octets(''), octets('')));
}

export function ldapSearch(messageId: number, base: string): Buffer {
  return seq(
    int(messageId),
    tlv(
      0x63,
      octets(base),
      int(2, 0x0a),
      int(0, 0x0a),
      int(0),
      int(0),
      tlv(0x01, Buffer.from([0])),
      tlv(0x87, 'objectClass'),
      seq(),
    ),
  );
}

export function ldapSearchDone(messageId: number): Buffer {
  return seq(int(messageId), tlv(0x65, int(0, 0x0a), octets(''), octets('')));
}

export function ldapUnbind(messageId: number): Buffer {
  return seq(int(messageId), tlv(0x42));
}
