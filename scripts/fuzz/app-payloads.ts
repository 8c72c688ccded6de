import * as dnsPacket from 'dns-packet';
import fc from 'fast-check';
import * as BER from '../../test/support/ber-builder';
import * as L from '../../test/support/legacy-builder';
import { FUZZ_NAMES } from './fuzz-hosts';
import { tlsRecords } from './tls-payloads';

/**
 * Application conversations for every parser the engine has: what the client says and what the
 * server answers, in order, on the protocol's usual port (sometimes an odd one: the sniffer must
 * recognise content, not ports). Shapes are right often enough to reach deep parser states;
 * junk, cut messages and hostile lengths are mixed in at every level.
 */
export interface AppMessage {
  toServer: boolean;
  data: Buffer;
}

export interface AppConversation {
  protocol: string;
  transport: 'tcp' | 'udp';
  port: number;
  messages: AppMessage[];
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const text = (max = 24) => fc.string({ maxLength: max, unit: 'binary-ascii' });
const word = fc.oneof(fc.constantFrom('alice', 'root', 'admin', '', 'a b', '\u00e9'), text(12));
const line = (s: string) => Buffer.from(`${s}\r\n`, 'latin1');
const c = (data: Buffer): AppMessage => ({ toServer: true, data });
const s = (data: Buffer): AppMessage => ({ toServer: false, data });
const b64 = (x: string) => Buffer.from(x, 'latin1').toString('base64');
const name = fc.oneof(fc.constantFrom(...FUZZ_NAMES), fc.domain(), text(70));

function conversation(
  protocol: string,
  transport: 'tcp' | 'udp',
  ports: number[],
  messages: fc.Arbitrary<AppMessage[]>,
): fc.Arbitrary<AppConversation> {
  return fc.record({
    protocol: fc.constant(protocol),
    transport: fc.constant(transport),
    port: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ports) }, fc.integer({ min: 1, max: 65535 })),
    messages,
  });
}

/** Lines of a text protocol: the scripted ones in order, junk lines between some. */
const lines = (script: fc.Arbitrary<AppMessage[]>) =>
  fc.tuple(script, fc.array(fc.tuple(fc.boolean(), text(80)), { maxLength: 3 }), fc.nat()).map(([m, junk, at]) => {
    const out = [...m];
    for (const [toServer, t] of junk) out.splice(at % (out.length + 1), 0, { toServer, data: line(t) });
    return out;
  });

const dnsRecordType = fc.constantFrom(
  'A',
  'AAAA',
  'CNAME',
  'TXT',
  'MX',
  'PTR',
  'NS',
  'SOA',
  'SRV',
) as fc.Arbitrary<string>;
const dnsAnswer = fc
  .tuple(name, dnsRecordType, fc.ipV4(), fc.ipV6(), name, fc.nat(0xffffffff))
  .map(([n, type, v4, v6, target, ttl]) => {
    const data =
      type === 'A'
        ? v4
        : type === 'AAAA'
          ? v6
          : type === 'TXT'
            ? [target]
            : type === 'MX'
              ? { preference: 10, exchange: target }
              : type === 'SOA'
                ? { mname: target, rname: target, serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 }
                : type === 'SRV'
                  ? { priority: 1, weight: 1, port: 443, target }
                  : target;
    return { name: n, type, ttl, data } as dnsPacket.Answer;
  });
const dnsMessage = fc
  .record({
    id: fc.nat(0xffff),
    response: fc.boolean(),
    qname: name,
    qtype: dnsRecordType,
    answers: fc.array(dnsAnswer, { maxLength: 6 }),
    rcode: fc.constantFrom('NOERROR', 'NXDOMAIN', 'SERVFAIL'),
  })
  .map((m) => {
    try {
      return dnsPacket.encode({
        id: m.id,
        type: m.response ? 'response' : 'query',
        flags: m.response ? dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE : dnsPacket.RECURSION_DESIRED,
        rcode: m.response ? m.rcode : undefined,
        questions: [{ name: m.qname, type: m.qtype } as dnsPacket.Question],
        answers: m.response ? m.answers : [],
      } as dnsPacket.Packet);
    } catch {
      return Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 9]); // a name the encoder refuses: a short lie
    }
  });
const dnsOrJunk = fc.oneof({ weight: 4, arbitrary: dnsMessage }, bytes(64));
const dnsTcp = (m: Buffer) => {
  const h = Buffer.alloc(2);
  h.writeUInt16BE(m.length & 0xffff);
  return Buffer.concat([h, m]);
};

const httpHead = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'CONNECT', 'OPTIONS', 'G\u00c9T'),
    path: fc.oneof(fc.constantFrom('/', '/login', '/admin?x=1', '*'), text(60)),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', ''),
    host: name,
    headers: fc.array(
      fc.oneof(
        fc.tuple(word, word).map(([u, p]) => `Authorization: Basic ${b64(`${u}:${p}`)}`),
        fc.constant('Authorization: Bearer eyJ.abc.def'),
        fc.constantFrom('Cookie: session=abc', 'Content-Encoding: gzip', 'Transfer-Encoding: chunked'),
        fc.integer({ min: -2, max: 1e9 }).map((n) => `Content-Length: ${n}`),
        fc.tuple(text(20), text(60)).map(([k, v]) => `${k}: ${v}`),
      ),
      { maxLength: 6 },
    ),
    body: fc.oneof(
      fc.tuple(word, word).map(([u, p]) => `username=${u}&password=${p}`),
      fc.constantFrom('5\r\nhello\r\n0\r\n\r\n', 'zz\r\n', '\x1f\x8b\x08\x00garbage'),
      text(120),
    ),
  })
  .map((h) =>
    Buffer.from(
      `${h.method} ${h.path} ${h.version}\r\nHost: ${h.host}\r\n${h.headers.map((x) => `${x}\r\n`).join('')}\r\n${h.body}`,
      'latin1',
    ),
  );
const httpResponse = fc
  .tuple(
    fc.integer({ min: 0, max: 999 }),
    fc.array(
      fc.constantFrom(
        'Set-Cookie: sid=1',
        'Content-Length: 5',
        'Transfer-Encoding: chunked',
        'Location: https://bank.test/',
      ),
      { maxLength: 3 },
    ),
    text(60),
  )
  .map(([code, hs, body]) =>
    Buffer.from(`HTTP/1.1 ${code} X\r\n${hs.map((x) => `${x}\r\n`).join('')}\r\n${body}`, 'latin1'),
  );

const ftp = lines(
  fc
    .tuple(word, word, fc.constantFrom('230 ok', '530 no', '331 pass', '234 AUTH', ''))
    .map(([u, p, outcome]) => [
      s(line('220 ftp ready')),
      c(line(`USER ${u}`)),
      s(line('331 Password required')),
      c(line(`PASS ${p}`)),
      s(line(outcome)),
      c(line('AUTH TLS')),
    ]),
);
const pop3 = lines(
  fc
    .tuple(word, word)
    .map(([u, p]) => [
      s(line('+OK POP3 <1.2@x>')),
      c(line(`USER ${u}`)),
      s(line('+OK')),
      c(line(`PASS ${p}`)),
      s(line('-ERR')),
      c(line(`APOP ${u} c4c9334bac560ecc979e58001b3e22fb`)),
      c(line('AUTH PLAIN')),
      c(line(b64(`\0${u}\0${p}`))),
      c(line('STLS')),
    ]),
);
const imap = lines(
  fc
    .tuple(word, word, fc.nat(99))
    .map(([u, p, n]) => [
      s(line('* OK IMAP4rev1')),
      c(line(`a1 LOGIN ${u} "${p}"`)),
      c(line(`a2 LOGIN {${n}}`)),
      c(line(`a3 AUTHENTICATE PLAIN ${b64(`\0${u}\0${p}`)}`)),
      s(line('a1 OK LOGIN completed')),
      c(line('a4 STARTTLS')),
    ]),
);
const smtp = lines(
  fc
    .tuple(word, word)
    .map(([u, p]) => [
      s(line('220 mail ESMTP')),
      c(line('EHLO x')),
      s(line('250-AUTH PLAIN LOGIN')),
      c(line(`AUTH PLAIN ${b64(`\0${u}\0${p}`)}`)),
      c(line('AUTH LOGIN')),
      s(line('334 VXNlcm5hbWU6')),
      c(line(b64(u))),
      c(line(b64(p))),
      s(line('235 ok')),
      c(line('STARTTLS')),
    ]),
);
const iac = fc.oneof(
  fc.tuple(fc.constantFrom(251, 252, 253, 254), fc.nat(255)).map(([cmd, opt]) => Buffer.from([255, cmd, opt])),
  bytes(12).map((b) => Buffer.concat([Buffer.from([255, 250]), b, Buffer.from([255, 240])])),
  fc.constant(Buffer.from([255, 255])),
  fc.constant(Buffer.from([255])),
);
const telnet = fc
  .tuple(fc.array(iac, { maxLength: 4 }), word, word, fc.array(iac, { maxLength: 3 }))
  .map(([neg, u, p, more]) => [
    s(Buffer.concat(neg)),
    c(Buffer.concat(more)),
    s(Buffer.from('login: ')),
    c(Buffer.from(`${u}\r\n`, 'latin1')),
    s(Buffer.from('Password: ')),
    c(Buffer.from(`${p}\r\0`, 'latin1')),
    s(Buffer.from('Last login: x\r\n$ ')),
  ]);

const berJunk = fc.oneof(
  bytes(40).map((b) => BER.seq(b)),
  fc.constant(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])),
  fc.constant(Buffer.from([0x30, 0x80, 0x02, 0x01])),
);
const snmp = fc
  .array(
    fc.oneof(
      fc
        .tuple(fc.constantFrom(0 as const, 1 as const), word, fc.constantFrom('get', 'set', 'response'), fc.nat(1e6))
        .map(([v, comm, pdu, id]) => BER.snmpCommunity(v, comm, pdu, id)),
      fc.tuple(word, fc.boolean()).map(([u, priv]) => BER.snmpV3(u, 'get', 7, priv)),
      berJunk,
    ),
    { minLength: 1, maxLength: 4 },
  )
  .chain((ms) => fc.tuple(...ms.map((m) => fc.boolean().map((toServer) => ({ toServer, data: m })))));
const ldap = fc
  .tuple(fc.nat(1e6), word, word, fc.constantFrom(0, 49, 14))
  .map(([id, dn, p, rc]) => [
    c(BER.ldapSimpleBind(id, dn, p)),
    s(BER.ldapBindResponse(id, rc)),
    c(BER.ldapSaslBind(id + 1, 'PLAIN', BER.saslPlainMessage('', dn, p))),
    c(BER.ldapStartTlsRequest(id + 2)),
    s(BER.ldapStartTlsResponse(id + 2, rc)),
  ]);
const ldapOrJunk = fc.tuple(ldap, fc.array(berJunk.map(c), { maxLength: 2 })).map(([m, j]) => [...j, ...m]);
const smb = fc
  .tuple(fc.nat(6), fc.constantFrom(0x0202, 0x0210, 0x0311, 0xffff), bytes(40))
  .map(([i, dialect, junk]) => [
    c(L.smb1NegotiateRequest()),
    s(L.smb1NegotiateResponse(i)),
    c(L.smb1SessionSetup()),
    c(L.smb2NegotiateRequest()),
    s(L.smb2NegotiateResponse(dialect)),
    c(L.netbios(junk)),
    s(L.smb2Message(8, true, 300)),
  ]);
const vnc = fc
  .tuple(
    fc.constantFrom('003.003', '003.008', '003.889', '004.001', 'xyz'),
    fc.array(fc.nat(255), { maxLength: 5 }),
    fc.nat(40),
  )
  .map(([v, types, t]) => [
    s(L.rfbVersion(v)),
    c(L.rfbVersion(v)),
    s(L.rfbTypes(...types)),
    s(L.rfb33Type(t)),
    c(Buffer.from([types[0] ?? 1])),
  ]);
const tftp = fc
  .tuple(fc.nat(7), text(30), fc.constantFrom('octet', 'netascii', 'mail', ''), bytes(40))
  .map(([op, file, mode, data]) => {
    const h = Buffer.alloc(2);
    h.writeUInt16BE(op);
    return [c(Buffer.concat([h, Buffer.from(`${file}\0${mode}\0`, 'latin1')])), s(Buffer.concat([h, data]))];
  });
const rlogin = fc
  .tuple(word, word)
  .map(([a, b]) => [c(L.rloginHandshake(a, b)), s(Buffer.from([0])), c(Buffer.from('ls\r'))]);
const rsh = fc
  .tuple(word, word, text(20))
  .map(([a, b, cmd]) => [c(L.rshHandshake('0', a, b, cmd)), s(Buffer.from([0]))]);
const rexec = fc
  .tuple(word, word, text(20))
  .map(([u, p, cmd]) => [c(L.rexecHandshake('1022', u, p, cmd)), s(Buffer.from([1, 0x41]))]);
const tls = fc.tuple(tlsRecords(true), tlsRecords(false)).map(([hello, flight]) => [c(hello), s(flight)]);

export const appConversation: fc.Arbitrary<AppConversation> = fc.oneof(
  conversation(
    'dns',
    'udp',
    [53, 5353],
    fc.array(
      dnsOrJunk.chain((m) => fc.boolean().map((toServer) => ({ toServer, data: m }))),
      { minLength: 1, maxLength: 4 },
    ),
  ),
  conversation(
    'dns',
    'tcp',
    [53],
    fc.array(
      dnsOrJunk.map((m) => c(dnsTcp(m))),
      { minLength: 1, maxLength: 3 },
    ),
  ),
  conversation('tls', 'tcp', [443, 8443, 993, 636], tls),
  conversation(
    'http',
    'tcp',
    [80, 8080],
    fc.tuple(httpHead, httpResponse, httpHead).map(([a, b, d]) => [c(a), s(b), c(d)]),
  ),
  conversation('ftp', 'tcp', [21], ftp),
  conversation('pop3', 'tcp', [110], pop3),
  conversation('imap', 'tcp', [143], imap),
  conversation('smtp', 'tcp', [25, 587], smtp),
  conversation('telnet', 'tcp', [23], telnet),
  conversation('snmp', 'udp', [161, 162], snmp),
  conversation('ldap', 'tcp', [389], ldapOrJunk),
  conversation('smb', 'tcp', [445, 139], smb),
  conversation('vnc', 'tcp', [5900], vnc),
  conversation('tftp', 'udp', [69], tftp),
  conversation('rlogin', 'tcp', [513], rlogin),
  conversation('rsh', 'tcp', [514], rsh),
  conversation('rexec', 'tcp', [512], rexec),
  conversation(
    'junk',
    'tcp',
    [80, 443, 21, 9999],
    fc.array(
      fc.tuple(fc.boolean(), bytes(300)).map(([t, d]) => ({ toServer: t, data: d })),
      { maxLength: 4 },
    ),
  ),
  conversation(
    'junk',
    'udp',
    [53, 161, 69, 1900],
    fc.array(
      fc.tuple(fc.boolean(), bytes(300)).map(([t, d]) => ({ toServer: t, data: d })),
      { maxLength: 3 },
    ),
  ),
);
