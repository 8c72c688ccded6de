import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  int,
  ldapBindResponse,
  ldapSaslBind,
  ldapSearch,
  ldapSearchDone,
  ldapSimpleBind,
  ldapStartTlsRequest,
  ldapStartTlsResponse,
  ldapUnbind,
  octets,
  saslPlainMessage,
  seq,
  snmpCommunity,
  snmpV3,
  tlv,
} from '../../../test/support/ber-builder';
import { hasTool } from '../../../test/support/paths';
import { brief, conn, feedRandomMessages, feed, sameAtEverySplit, type Msg } from '../../../test/support/dispatch-feed';
import { TcpConversation, Timeline, host, timelinePcap, udpAt } from '../../../test/support/traffic';
import { toRecord } from '../../../test/support/frame-builder';
import { DecodedPacket } from '../decode/decoded-packet';
import { PacketDecoder } from '../decode/packet.decoder';
import { TcpReassembler } from '../reassembly/tcp-reassembler';
import { intValue, oidValue, readTlv, tlvSize } from './ber';
import { ALL_PROTOCOLS, recordingHandlers, type RecordedEvent } from './capture-harness';
import { ProtocolDispatcher } from './protocol-dispatcher';
import { decodeSnmp } from './snmp';
import { decodeTftp } from './tftp';

const META = { frame: 7, time: 100, src: { ip: '10.0.0.1', port: 40000 }, dst: { ip: '10.0.0.2', port: 161 } };

describe('BER reader', () => {
  it('reads short and long definite lengths and refuses indefinite / oversized ones', () => {
    expect(tlvSize(Buffer.from([0x30, 0x03]), 0)).toBe(5);
    expect(tlvSize(Buffer.from([0x30, 0x82, 0x01, 0x00]), 0)).toBe(260);
    expect(tlvSize(Buffer.from([0x30, 0x80]), 0)).toBe(-2); // indefinite
    expect(tlvSize(Buffer.from([0x30, 0x85, 1, 1, 1, 1, 1]), 0)).toBe(-2); // 5 length bytes
    expect(tlvSize(Buffer.from([0x1f, 0x01]), 0)).toBe(-2); // multi-byte tag
    expect(tlvSize(Buffer.from([0x30, 0x82, 0x01]), 0)).toBe(-1); // header cut
    expect(readTlv(Buffer.from([0x04, 0x05, 0x61]), 0, 3)).toBeNull(); // content cut
  });

  it('decodes signed integers and OIDs', () => {
    const v = (b: Buffer) => intValue(b, readTlv(b, 0, b.length)!);
    expect([v(int(0)), v(int(127)), v(int(128)), v(int(-1)), v(int(-129)), v(int(2147483647))]).toEqual([
      0, 127, 128, -1, -129, 2147483647,
    ]);
    expect(v(Buffer.from([0x02, 0x00]))).toBeNull();
    const o = Buffer.from([0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00]);
    expect(oidValue(o, readTlv(o, 0, o.length)!)).toBe('1.3.6.1.2.1.1.1.0');
  });
});

describe('SNMP decoding', () => {
  const dec = (b: Buffer) => decodeSnmp(b, 0, b.length, META);

  it('v1 get with community and request id', () => {
    expect(dec(snmpCommunity(0, 'public', 'get', 1234))).toEqual({
      ...META,
      version: 'v1',
      community: 'public',
      pdu: 'get',
      requestId: 1234,
    });
  });

  it('v2c response carries error-status; getbulk and set are named', () => {
    expect(dec(snmpCommunity(1, 's3cret', 'response', 99, 2))).toMatchObject({
      version: 'v2c',
      community: 's3cret',
      pdu: 'response',
      requestId: 99,
      errorStatus: 2,
    });
    expect(dec(snmpCommunity(1, 'private', 'set', 5))?.pdu).toBe('set');
    expect(dec(snmpCommunity(1, 'c', 'getbulk', 6))?.pdu).toBe('getbulk');
  });

  it('v3: USM user name, plaintext scoped PDU or encrypted, no community', () => {
    expect(dec(snmpV3('admin', 'get', 77))).toEqual({
      ...META,
      version: 'v3',
      user: 'admin',
      pdu: 'get',
      requestId: 77,
    });
    expect(dec(snmpV3('ops', 'get', 1, true))).toEqual({ ...META, version: 'v3', user: 'ops', pdu: 'encrypted' });
  });

  it('rejects other versions, trailing bytes, wrong PDU tags and every truncation, without throwing', () => {
    const good = snmpCommunity(1, 'public', 'get', 1);
    expect(dec(Buffer.concat([good, Buffer.from([0])]))).toBeNull();
    expect(dec(seq(int(2), octets('public'), tlv(0xa0, int(1), int(0), int(0), seq())))).toBeNull();
    expect(dec(seq(int(1), octets('public'), tlv(0xb0, int(1))))).toBeNull();
    for (let n = 0; n < good.length; n++) expect(dec(good.subarray(0, n))).toBeNull();
    const v3 = snmpV3('admin', 'get', 77);
    for (let n = 0; n < v3.length; n++) expect(() => decodeSnmp(v3, 0, n, META)).not.toThrow();
  });

  it('survives random bytes', () => {
    let x = 12345;
    const rnd = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(Array.from({ length: 1 + (i % 60) }, rnd));
      b[0] = 0x30;
      expect(() => dec(b)).not.toThrow();
    }
  });
});

describe('TFTP requests', () => {
  const dec = (b: Buffer) => decodeTftp(b, 0, b.length, META);
  it('RRQ and WRQ with file name and mode (options after it are fine)', () => {
    expect(dec(Buffer.from('\x00\x01router.cfg\x00octet\x00blksize\x001428\x00', 'latin1'))).toEqual({
      ...META,
      op: 'read',
      filename: 'router.cfg',
      mode: 'octet',
    });
    expect(dec(Buffer.from('\x00\x02boot/pxe.0\x00NETASCII\x00', 'latin1'))).toMatchObject({
      op: 'write',
      mode: 'netascii',
    });
  });
  it('a DNS query with id 1, an unknown mode, truncations and DATA packets are not requests', () => {
    expect(dec(Buffer.from('0001010000010000000000000377777700', 'hex'))).toBeNull();
    expect(dec(Buffer.from('\x00\x01file\x00binary\x00', 'latin1'))).toBeNull();
    expect(dec(Buffer.from('\x00\x03\x00\x01data', 'latin1'))).toBeNull();
    const good = Buffer.from('\x00\x01f.txt\x00octet\x00', 'latin1');
    for (let n = 0; n < good.length; n++) expect(dec(good.subarray(0, n))).toBeNull();
  });
});

const LDAP_SESSION: Msg[] = [
  ['toServer', ldapSimpleBind(1, 'cn=admin,dc=example,dc=org', 'Secr3t!')],
  ['toClient', ldapBindResponse(1, 49, '80090308: LdapErr: invalid credentials')],
  ['toServer', ldapSimpleBind(2, 'cn=admin,dc=example,dc=org', 'Secr3t!!')],
  ['toClient', ldapBindResponse(2, 0)],
  ['toServer', Buffer.concat([ldapSearch(3, 'dc=example,dc=org'), ldapSaslBind(4, 'GSSAPI')])],
  ['toClient', Buffer.concat([ldapSearchDone(3), ldapBindResponse(4, 14)])],
  ['toServer', ldapUnbind(5)],
];

const EXPECTED_LDAP = [
  [
    'ldapBindRequest',
    { frame: 1, messageId: 1, version: 3, name: 'cn=admin,dc=example,dc=org', auth: 'simple', password: 'Secr3t!' },
  ],
  [
    'ldapBindResponse',
    { frame: 2, messageId: 1, resultCode: 49, diagnosticMessage: '80090308: LdapErr: invalid credentials' },
  ],
  [
    'ldapBindRequest',
    { frame: 3, messageId: 2, version: 3, name: 'cn=admin,dc=example,dc=org', auth: 'simple', password: 'Secr3t!!' },
  ],
  ['ldapBindResponse', { frame: 4, messageId: 2, resultCode: 0, diagnosticMessage: '' }],
  ['ldapBindRequest', { frame: 5, messageId: 4, version: 3, name: '', auth: 'sasl', mechanism: 'GSSAPI' }],
  ['ldapBindResponse', { frame: 6, messageId: 4, resultCode: 14, diagnosticMessage: '' }],
];

describe('LDAP parser through the dispatcher', () => {
  it('binds and their results, on 389 and recognised by content on another port', () => {
    expect(brief(feed(conn(389), LDAP_SESSION))).toEqual(EXPECTED_LDAP);
    expect(brief(feed(conn(10389), LDAP_SESSION))).toEqual(EXPECTED_LDAP);
  });

  it('the same events whatever byte a message is cut at, with snapshot/restore in between', () => {
    expect(JSON.parse(sameAtEverySplit(conn(10389), LDAP_SESSION))).toEqual(EXPECTED_LDAP);
  });

  it('StartTLS: request and success response, then nothing more is parsed (TLS)', () => {
    const ev = brief(
      feed(conn(389), [
        ['toServer', ldapStartTlsRequest(1)],
        ['toClient', ldapStartTlsResponse(1, 0)],
        ['toServer', ldapSimpleBind(2, 'cn=x', 'pw')],
      ]),
    );
    expect(ev).toEqual([
      ['ldapStartTls', { frame: 1, messageId: 1, phase: 'request' }],
      ['ldapStartTls', { frame: 2, messageId: 1, phase: 'response', resultCode: 0 }],
    ]);
  });

  it('a refused StartTLS (resultCode 2) leaves the connection in clear', () => {
    const ev = brief(
      feed(conn(389), [
        ['toServer', ldapStartTlsRequest(1)],
        ['toClient', ldapStartTlsResponse(1, 2)],
        ['toServer', ldapSimpleBind(2, 'cn=x', 'pw')],
      ]),
    );
    expect(ev.map((e) => e[0])).toEqual(['ldapStartTls', 'ldapStartTls', 'ldapBindRequest']);
  });

  it('messages above maxLdapMessage are skipped by length, the next one is read', () => {
    const big = seq(int(9), tlv(0x64, octets('cn=big'), seq(octets('x'.repeat(70000)))));
    const ev = brief(
      feed(conn(389), [
        ['toServer', ldapSearch(9, '')],
        ['toClient', big.subarray(0, 1000)],
        ['toClient', big.subarray(1000)],
        ['toServer', ldapSimpleBind(10, 'cn=after', '')],
      ]),
    );
    expect(ev).toEqual([
      ['ldapBindRequest', { frame: 4, messageId: 10, version: 3, name: 'cn=after', auth: 'simple', password: '' }],
    ]);
  });

  it('garbage, truncated and indefinite-length input: no events, no exception', () => {
    const bind = ldapSimpleBind(1, 'cn=a', 'b');
    for (let n = 1; n < bind.length; n++) expect(feed(conn(389), [['toServer', bind.subarray(0, n)]])).toEqual([]);
    expect(
      feed(conn(389), [['toServer', Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01, 0x60, 0x80, 0, 0, 0, 0])]]),
    ).toEqual([]);
    expect(() =>
      feedRandomMessages(
        389,
        7,
        500,
        (i) => 2 + (i % 80),
        (b) => (b[0] = 0x30),
      ),
    ).not.toThrow();
  });
});

const PLAIN = saslPlainMessage('', 'jdoe', 'Pl@in-pw');
const SASL_SESSION: Msg[] = [
  ['toServer', ldapSaslBind(1, 'PLAIN', PLAIN)],
  ['toClient', ldapBindResponse(1, 49, 'SASL(-13): authentication failure')],
  ['toServer', ldapSaslBind(2, 'LOGIN')],
  ['toClient', ldapBindResponse(2, 14, '', 'Username:')],
  ['toServer', ldapSaslBind(3, 'LOGIN', 'jdoe')],
  ['toClient', ldapBindResponse(3, 14, '', 'Password:')],
  ['toServer', ldapSaslBind(4, 'LOGIN', 'L0gin-pw')],
  ['toClient', ldapBindResponse(4, 0)],
  ['toServer', ldapSaslBind(5, 'CRAM-MD5')],
  ['toClient', ldapBindResponse(5, 14, '', '<1896.697170952@postoffice.example.net>')],
];

const sasl = (frame: number, messageId: number, mechanism: string, creds?: Buffer | string) => [
  'ldapBindRequest',
  {
    frame,
    messageId,
    version: 3,
    name: '',
    auth: 'sasl',
    mechanism,
    ...(creds === undefined ? {} : { saslCredentials: Buffer.from(creds) }),
  },
];
const bound = (frame: number, messageId: number, resultCode: number, diagnosticMessage = '') => [
  'ldapBindResponse',
  { frame, messageId, resultCode, diagnosticMessage },
];
const EXPECTED_SASL = [
  sasl(1, 1, 'PLAIN', PLAIN),
  bound(2, 1, 49, 'SASL(-13): authentication failure'),
  sasl(3, 2, 'LOGIN'),
  bound(4, 2, 14),
  sasl(5, 3, 'LOGIN', 'jdoe'),
  bound(6, 3, 14),
  sasl(7, 4, 'LOGIN', 'L0gin-pw'),
  bound(8, 4, 0),
  sasl(9, 5, 'CRAM-MD5'),
  bound(10, 5, 14),
];

describe('LDAP SASL binds', () => {
  it('mechanism and raw credentials of each request; resultCode of each response (serverSaslCreds skipped)', () => {
    expect(brief(feed(conn(389), SASL_SESSION))).toEqual(EXPECTED_SASL);
  });

  it('the same events whatever byte a message is cut at, with snapshot/restore in between', () => {
    expect(JSON.parse(sameAtEverySplit(conn(389), SASL_SESSION))).toEqual(JSON.parse(JSON.stringify(EXPECTED_SASL)));
  });

  it('credentials are cut to 1024 bytes (a copy, not a view of the parser buffer); an empty one is kept', () => {
    const big = ldapSaslBind(1, 'GSSAPI', Buffer.alloc(3000, 0x61));
    const ev = brief(
      feed(conn(389), [
        ['toServer', big],
        ['toServer', ldapSaslBind(2, 'PLAIN', '')],
      ]),
    );
    big.fill(0x7a); // the bytes the parser was given change afterwards: the event must not
    const c1 = ev[0][1].saslCredentials as Buffer;
    expect(c1.equals(Buffer.alloc(1024, 0x61))).toBe(true);
    expect(ev[1]).toEqual(sasl(2, 2, 'PLAIN', ''));
  });

  it('a SASL PLAIN bind after a successful StartTLS is inside TLS: not parsed', () => {
    const ev = brief(
      feed(conn(389), [
        ['toServer', ldapStartTlsRequest(1)],
        ['toClient', ldapStartTlsResponse(1, 0)],
        ['toServer', ldapSaslBind(2, 'PLAIN', PLAIN)],
        ['toClient', ldapBindResponse(2, 0)],
      ]),
    );
    expect(ev.map((e) => e[0])).toEqual(['ldapStartTls', 'ldapStartTls']);
  });
});

describe('SNMP, TFTP and LDAP in a synthesised capture agree with tshark', () => {
  const t = new Timeline();
  const mgr = host('10.9.0.5', 5);
  const agent = host('10.9.0.1', 1);
  const dc = host('10.9.0.10', 10);
  udpAt(t, 0.1, mgr, agent, 40001, 161, snmpCommunity(0, 'public', 'get', 11));
  udpAt(t, 0.2, agent, mgr, 161, 40001, snmpCommunity(0, 'public', 'response', 11));
  udpAt(t, 0.3, mgr, agent, 40002, 161, snmpCommunity(1, 'netw0rk', 'set', 12));
  udpAt(t, 0.4, mgr, agent, 40003, 161, snmpV3('opsuser', 'get', 13));
  // SNMP on a non-standard port: recognised by content.
  udpAt(t, 0.5, mgr, agent, 40004, 1161, snmpCommunity(1, 'odd', 'get', 14));
  udpAt(t, 0.6, mgr, agent, 40005, 69, Buffer.from('\x00\x01pxelinux.0\x00octet\x00', 'latin1'));
  const s = new TcpConversation(t, mgr, dc, 50389, 389, 1).open();
  s.c(ldapSimpleBind(1, 'uid=jdoe,ou=people,dc=example,dc=org', 'pa55'));
  s.s(ldapBindResponse(1, 0));
  s.c(ldapSimpleBind(2, '', ''));
  s.s(ldapBindResponse(2, 0));
  s.c(ldapSaslBind(3, 'PLAIN', saslPlainMessage('', 'jdoe', 'Pl@in-pw')));
  s.s(ldapBindResponse(3, 49));
  s.c(ldapSaslBind(4, 'CRAM-MD5'));
  s.s(ldapBindResponse(4, 14, '', '<1896.697170952@postoffice.example.net>'));
  s.close();

  function ours(): RecordedEvent[] {
    const out: RecordedEvent[] = [];
    const dispatcher = new ProtocolDispatcher(recordingHandlers(out), ALL_PROTOCOLS);
    const reassembler = new TcpReassembler(dispatcher);
    const decoder = new PacketDecoder();
    const p = new DecodedPacket();
    t.frames.forEach((f, i) => {
      decoder.decode(toRecord(f.data, { time: f.time, frame: i + 1 }), p);
      p.frame = i + 1;
      if (p.ipProto === 6) reassembler.onSegment(p);
      else if (p.ipProto === 17) dispatcher.onUdp(p);
    });
    reassembler.flush(t.frames[t.frames.length - 1].time, t.frames.length);
    return out;
  }

  it('our events', () => {
    const ev = ours().map(([k, e]) => {
      const x = e as Record<string, unknown>;
      return [k, x.frame, x.community ?? x.user ?? x.name ?? x.filename ?? x.resultCode, x.pdu ?? x.password ?? x.mode];
    });
    expect(ev).toEqual([
      ['snmp', 1, 'public', 'get'],
      ['snmp', 2, 'public', 'response'],
      ['snmp', 3, 'netw0rk', 'set'],
      ['snmp', 4, 'opsuser', 'get'],
      ['snmp', 5, 'odd', 'get'],
      ['tftp', 6, 'pxelinux.0', 'octet'],
      ['ldapBindRequest', 10, 'uid=jdoe,ou=people,dc=example,dc=org', 'pa55'],
      ['ldapBindResponse', 12, 0, undefined],
      ['ldapBindRequest', 14, '', ''],
      ['ldapBindResponse', 16, 0, undefined],
      ['ldapBindRequest', 18, '', undefined],
      ['ldapBindResponse', 20, 49, undefined],
      ['ldapBindRequest', 22, '', undefined],
      ['ldapBindResponse', 24, 14, undefined],
    ]);
  });

  (hasTool('tshark') ? it : it.skip)(
    'tshark reads the same communities, users, PDUs, bind names and SASL credentials',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'nw-snmp-'));
      const file = join(dir, 'snmp-ldap.pcap');
      writeFileSync(file, timelinePcap(t));
      const out = execFileSync(
        'tshark',
        [
          '-r',
          file,
          '-d',
          'udp.port==1161,snmp',
          '-Y',
          'snmp || ldap.bindRequest_element || ldap.bindResponse_element || tftp',
          '-T',
          'fields',
          '-e',
          'frame.number',
          '-e',
          'snmp.community',
          '-e',
          'snmp.msgUserName',
          '-e',
          'snmp.request_id',
          '-e',
          'ldap.name',
          '-e',
          'ldap.resultCode',
          '-e',
          'ldap.mechanism',
          '-e',
          'ldap.credentials',
          '-e',
          'tftp.source_file',
          '-E',
          'separator=|',
        ],
        { encoding: 'utf8' },
      );
      const theirs = out.trim().split('\n');
      const mine = ours().map(([k, e]) => {
        const x = e as Record<string, unknown>;
        return [
          x.frame,
          k === 'snmp' ? (x.community ?? '') : '',
          k === 'snmp' ? (x.user ?? '') : '',
          k === 'snmp' ? (x.requestId ?? '') : '',
          k === 'ldapBindRequest' ? x.name : '',
          k === 'ldapBindResponse' ? x.resultCode : '',
          x.mechanism ?? '',
          x.saslCredentials instanceof Buffer ? x.saslCredentials.toString('hex') : '',
          k === 'tftp' ? x.filename : '',
        ].join('|');
      });
      expect(mine).toEqual(theirs);
    },
  );
});
