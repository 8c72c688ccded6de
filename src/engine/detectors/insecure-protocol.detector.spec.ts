import { basename, join } from 'node:path';
import {
  ldapBindResponse,
  ldapSaslBind,
  ldapSimpleBind,
  ldapStartTlsRequest,
  ldapStartTlsResponse,
  saslPlainMessage,
  snmpCommunity,
  snmpV3,
} from '../../../test/support/ber-builder';
import {
  rexecHandshake,
  rfb33Type,
  rfbTypes,
  rfbVersion,
  rloginHandshake,
  rshHandshake,
  smb1NegotiateRequest,
  smb1NegotiateResponse,
  smb1SessionSetup,
  smb2Message,
  smb2NegotiateRequest,
  smb2NegotiateResponse,
  SMB1_DIALECTS,
} from '../../../test/support/legacy-builder';
import { SHARED_PCAPS, capturesIn } from '../../../test/support/paths';
import { TcpConversation, Timeline, host, run, udpAt } from '../../../test/support/traffic';
import { toRecord } from '../../../test/support/frame-builder';
import { analyzeCapture } from '../analyze-capture';
import { resolveConfig } from '../config';
import type { Finding } from '../finding';
import { Pipeline } from '../pipeline';
import { createDetectors } from './registry';

const ID = 'insecure-protocol';

/** [protocol, severity, client, server:port, count, messages] per finding. */
function summary(f: Finding[]): Array<[unknown, string, string | undefined, string, number, unknown]> {
  return f.map((x) => [
    x.evidence.protocol,
    x.severity,
    x.src?.ip,
    `${x.dst?.ip}:${x.dst?.port}`,
    x.count,
    x.evidence.messages,
  ]);
}

async function capture(file: string): Promise<Finding[]> {
  const a = await analyzeCapture(file, file, { config: resolveConfig(), detectors: [ID] });
  expect(a.errors).toEqual([]);
  return a.findings;
}

const pcap = (dir: string, name: string) => join(SHARED_PCAPS, dir, name);

/**
 * Every recorded and public capture with what it must give. Command counts equal tshark's
 * (ftp.request.command, pop.request.command, imap.request; Telnet: client frames with telnet.data).
 */
const EXPECTED: Record<string, ReturnType<typeof summary>> = {
  'ftp-login.pcap': [['ftp', 'high', '10.231.0.10', '10.231.0.20:21', 1, 7]],
  'http-basic-and-form.pcap': [['http-basic', 'high', '10.231.0.10', '10.231.0.20:80', 1, 1]],
  'telnet__telnet-01__telnet.pcap': [['telnet', 'high', '192.168.0.2', '192.168.0.1:23', 1, 6]],
  'pop3__input.pcap': [['pop3', 'high', '10.4.20.103', '74.208.5.11:110', 1, 55]],
  'pop3-auth-01__input.pcap': [['pop3', 'high', '1.1.1.1', '2.2.2.2:110', 1, 7]],
  'imap-detection__input.pcap': [['imap', 'high', '131.151.32.21', '131.151.37.122:143', 1, 26]],
  'ftp-epsv__input.pcap': [['ftp', 'high', '192.168.1.182', '192.168.1.231:21', 1, 26]],
  'ftp__ftp-download-passive__input.pcap': [['ftp', 'high', '172.23.0.3', '172.23.0.2:21', 1, 12]],
  // The log4shell probe's JNDI callback: a real LDAP anonymous bind on 1389, found by content.
  'output-multi-eve__input.pcap': [['ldap', 'low', '172.16.238.10', '172.16.238.11:1389', 2, 2]],
};

describe('insecure-protocol on the recorded and public captures', () => {
  const files = [...capturesIn(join(SHARED_PCAPS, 'attacks')), ...capturesIn(join(SHARED_PCAPS, 'public'))];

  it('finds the expected captures', () => {
    expect(files.length).toBeGreaterThan(40);
    for (const name of Object.keys(EXPECTED)) expect(files.map((f) => basename(f))).toContain(name);
  });

  it.each(files.map((f) => [basename(f), f]))('%s', async (name, file) => {
    const f = await capture(file);
    expect(summary(f)).toEqual(EXPECTED[name] ?? []);
    for (const x of f) {
      expect(x.type).toBe('insecure-protocol');
      expect(x.mitre).toBe('T1040');
    }
  });

  it('TFTP: a real read (tcpdump test capture robustness/tftp.pcap: RRQ file1, answered by DATA from a new port)', async () => {
    const f = await capture(pcap('robustness', 'tftp.pcap'));
    expect(summary(f)).toEqual([['tftp', 'low', '192.168.1.2', '192.168.1.1:69', 1, undefined]]);
    expect(f[0].evidence).toMatchObject({ files: ['file1'], reads: 1, requests: 1, frames: [2] });
  });

  it('FTP login: evidence starts at USER and never holds the password', async () => {
    const [f] = await capture(pcap('attacks', 'ftp-login.pcap'));
    expect(f.evidence.frames[0]).toBe(6);
    expect(f.firstSeen < f.lastSeen).toBe(true);
    expect(JSON.stringify(f)).not.toContain('Tr0ub4dor');
  });

  it('HTTP Basic: the /admin request (frame 4), the Authorization value appears nowhere', async () => {
    const [f] = await capture(pcap('attacks', 'http-basic-and-form.pcap'));
    expect(f.evidence.frames).toEqual([4]);
    expect(f.evidence.hosts).toEqual(['10.231.0.20']);
    expect(f.evidence.paths).toEqual(['/admin']);
    const text = JSON.stringify(f);
    for (const s of ['Ym9iOmh1bnRlcjI', 'hunter2', 'Basic Ym9i']) expect(text).not.toContain(s);
  });
});

// ---- synthesised traffic ----------------------------------------------------------------------

const client = host('10.50.0.10', 10);
const server = host('10.50.0.20', 20);
const agent = host('10.50.0.1', 1);

/** Runs the Timeline through insecure-protocol alone, then again cut into 5 chunks with snapshot/restore, and checks both agree. */
function findings(t: Timeline): Finding[] {
  const whole = run(t, [ID]).findings;
  const config = resolveConfig();
  let state: ReturnType<Pipeline['snapshot']> | null = null;
  const n = t.frames.length;
  const cuts = [0, Math.floor(n / 5), Math.floor((2 * n) / 5), Math.floor((3 * n) / 5), Math.floor((4 * n) / 5), n];
  let p: Pipeline | null = null;
  for (let k = 0; k + 1 < cuts.length; k++) {
    p = new Pipeline({ captureId: 'synthetic', detectors: createDetectors(config, [ID]), config });
    if (state !== null) p.restore(JSON.parse(JSON.stringify(state)));
    for (let i = cuts[k]; i < cuts[k + 1]; i++)
      p.push(toRecord(t.frames[i].data, { time: t.frames[i].time, frame: i + 1 }));
    state = p.snapshot();
  }
  p!.finish();
  expect(p!.findings()).toEqual(whole);
  return whole;
}

describe('insecure-protocol on synthesised sessions', () => {
  it('SNMP v1 get/response and v2c set: one finding per manager/agent, versions and PDU counts, no community', () => {
    const t = new Timeline();
    udpAt(t, 1, client, agent, 40001, 161, snmpCommunity(0, 'public', 'get', 1));
    udpAt(t, 1.1, agent, client, 161, 40001, snmpCommunity(0, 'public', 'response', 1));
    udpAt(t, 2, client, agent, 40002, 161, snmpCommunity(1, 'wr1te-c0mm', 'set', 2));
    const other = host('10.50.0.11', 11);
    udpAt(t, 3, other, agent, 40003, 161, snmpV3('ops', 'get', 3));
    udpAt(t, 3.1, agent, other, 161, 40003, snmpV3('ops', 'response', 3));
    const f = findings(t);
    expect(summary(f)).toEqual([['snmp', 'high', '10.50.0.10', '10.50.0.1:161', 3, 3]]);
    expect(f[0].evidence).toMatchObject({ versions: ['v1', 'v2c'], messages: 3, get: 1, response: 1, set: 1 });
    expect(f[0].evidence.frames).toEqual([1, 2, 3]);
    const text = JSON.stringify(f);
    expect(text).not.toContain('public');
    expect(text).not.toContain('wr1te');
  });

  it('SNMP v2c read-only traffic is medium', () => {
    const t = new Timeline();
    udpAt(t, 1, client, agent, 40001, 161, snmpCommunity(1, 'public', 'get', 1));
    expect(summary(findings(t))).toEqual([['snmp', 'medium', '10.50.0.10', '10.50.0.1:161', 1, 1]]);
  });

  it('LDAP: simple bind high, anonymous bind low, StartTLS before the bind silent', () => {
    const t = new Timeline();
    const a = new TcpConversation(t, client, server, 50001, 389, 1).open();
    a.c(ldapSimpleBind(1, 'cn=admin,dc=corp', 'S3cret!'));
    a.s(ldapBindResponse(1, 0));
    a.close();
    const anon = host('10.50.0.12', 12);
    const b = new TcpConversation(t, anon, server, 50002, 389, 2).open();
    b.c(ldapSimpleBind(1, '', ''));
    b.s(ldapBindResponse(1, 0));
    b.close();
    const tls = host('10.50.0.13', 13);
    const c = new TcpConversation(t, tls, server, 50003, 389, 3).open();
    c.c(ldapStartTlsRequest(1));
    c.s(ldapStartTlsResponse(1, 0));
    c.c(Buffer.from('1603010005aabbccddee', 'hex'));
    c.c(ldapSimpleBind(2, 'cn=admin,dc=corp', 'S3cret!')); // inside TLS in reality: never parsed
    c.close();
    const f = findings(t);
    expect(summary(f)).toEqual([
      ['ldap', 'high', '10.50.0.10', '10.50.0.20:389', 1, 1],
      ['ldap', 'low', '10.50.0.12', '10.50.0.20:389', 1, 1],
    ]);
    expect(f[0].evidence).toMatchObject({ simpleBinds: 1 });
    expect(f[1].title).toContain('anonymous');
    expect(JSON.stringify(f)).not.toContain('S3cret');
  });

  it('LDAP SASL: PLAIN and LOGIN in clear are high like a simple bind; other mechanisms and PLAIN after StartTLS silent', () => {
    const t = new Timeline();
    const a = new TcpConversation(t, client, server, 50011, 389, 1).open();
    a.c(ldapSaslBind(1, 'PLAIN', saslPlainMessage('', 'svc', 'Pl41n-Secret')));
    a.s(ldapBindResponse(1, 49));
    a.c(ldapSaslBind(2, 'PLAIN', saslPlainMessage('', 'svc', 'Pl41n-Secret2')));
    a.s(ldapBindResponse(2, 0));
    a.close();
    const l = host('10.50.0.14', 14);
    const b = new TcpConversation(t, l, server, 50012, 389, 2).open();
    b.c(ldapSaslBind(1, 'LOGIN'));
    b.s(ldapBindResponse(1, 14, '', 'Username:'));
    b.c(ldapSaslBind(2, 'LOGIN', 'svc'));
    b.s(ldapBindResponse(2, 14, '', 'Password:'));
    b.c(ldapSaslBind(3, 'LOGIN', 'L0gin-Secret'));
    b.s(ldapBindResponse(3, 0));
    b.close();
    const other = host('10.50.0.15', 15);
    const c = new TcpConversation(t, other, server, 50013, 389, 3).open();
    for (const [i, m] of ['CRAM-MD5', 'DIGEST-MD5', 'GSSAPI', 'GSS-SPNEGO', 'EXTERNAL', 'SCRAM-SHA-1'].entries()) {
      c.c(ldapSaslBind(i + 1, m, i === 4 ? undefined : 'opaque-token'));
      c.s(ldapBindResponse(i + 1, 14));
    }
    c.close();
    const tls = host('10.50.0.16', 16);
    const d = new TcpConversation(t, tls, server, 50014, 389, 4).open();
    d.c(ldapStartTlsRequest(1));
    d.s(ldapStartTlsResponse(1, 0));
    d.c(ldapSaslBind(2, 'PLAIN', saslPlainMessage('', 'svc', 'Pl41n-Secret'))); // TLS records in reality
    d.close();
    const f = findings(t);
    expect(summary(f)).toEqual([
      ['ldap', 'high', '10.50.0.10', '10.50.0.20:389', 1, 2],
      ['ldap', 'high', '10.50.0.14', '10.50.0.20:389', 1, 3],
    ]);
    expect(f[0].title).toBe('LDAP SASL PLAIN bind in cleartext: 10.50.0.10 → 10.50.0.20:389');
    expect(f[0].evidence).toEqual({
      frames: expect.any(Array),
      framesTotal: expect.any(Number),
      protocol: 'ldap',
      connections: 1,
      messages: 2,
      saslMechanisms: ['PLAIN'],
      saslBinds: 2,
    });
    expect(f[1].title).toBe('LDAP SASL LOGIN bind in cleartext: 10.50.0.14 → 10.50.0.20:389');
    expect(f[1].evidence).toMatchObject({ saslMechanisms: ['LOGIN'], saslBinds: 3 });
    expect(JSON.stringify(f)).not.toMatch(/Secret|L0gin|Pl41n/);
  });

  it('LDAP: a simple and a SASL PLAIN bind from one client to one server: one finding naming both', () => {
    const t = new Timeline();
    const a = new TcpConversation(t, client, server, 50021, 389, 1).open();
    a.c(ldapSimpleBind(1, '', ''));
    a.c(ldapSimpleBind(2, 'cn=admin,dc=corp', 'S3cret!'));
    a.c(ldapSaslBind(3, 'plain', saslPlainMessage('', 'svc', 'Pl41n-Secret')));
    a.close();
    const f = findings(t);
    expect(summary(f)).toEqual([['ldap', 'high', '10.50.0.10', '10.50.0.20:389', 1, 3]]);
    expect(f[0].title).toBe('LDAP simple and SASL PLAIN binds in cleartext: 10.50.0.10 → 10.50.0.20:389');
    expect(f[0].evidence).toMatchObject({ anonymousBinds: 1, simpleBinds: 1, saslBinds: 1, saslMechanisms: ['PLAIN'] });
  });

  it('TFTP: an answered read is low; an unanswered request (closed port) is silent', () => {
    const t = new Timeline();
    udpAt(t, 1, client, server, 40100, 69, Buffer.from('\x00\x01startup-config\x00octet\x00', 'latin1'));
    udpAt(t, 1.01, server, client, 51515, 40100, Buffer.concat([Buffer.from([0, 3, 0, 1]), Buffer.alloc(100, 0x41)]));
    udpAt(t, 2, client, server, 40101, 69, Buffer.from('\x00\x02backup.cfg\x00octet\x00', 'latin1'));
    udpAt(t, 2.01, server, client, 51516, 40101, Buffer.from('\x00\x05\x00\x02Access violation\x00', 'latin1'));
    udpAt(t, 3, agent, server, 40102, 69, Buffer.from('\x00\x01r7tftp.txt\x00octet\x00', 'latin1'));
    const f = findings(t);
    expect(summary(f)).toEqual([['tftp', 'low', '10.50.0.10', '10.50.0.20:69', 2, undefined]]);
    expect(f[0].evidence).toMatchObject({ files: ['startup-config', 'backup.cfg'], reads: 1, writes: 1, errors: 1 });
  });

  it('SMB: SMBv1 negotiated is medium with its dialects; SMB1 negotiate upgraded to SMB2 is silent', () => {
    const t = new Timeline();
    const a = new TcpConversation(t, client, server, 50010, 445, 1).open();
    a.c(smb1NegotiateRequest());
    a.s(smb1NegotiateResponse(3));
    a.c(smb1SessionSetup());
    a.close();
    const modern = host('10.50.0.14', 14);
    const b = new TcpConversation(t, modern, server, 50011, 445, 2).open();
    b.c(smb1NegotiateRequest(['NT LM 0.12', 'SMB 2.002', 'SMB 2.???']));
    b.s(smb2NegotiateResponse(0x02ff));
    b.c(smb2NegotiateRequest());
    b.s(smb2NegotiateResponse(0x0311));
    b.c(smb2Message(1, false));
    b.s(smb2Message(1, true));
    b.close();
    const f = findings(t);
    expect(summary(f)).toEqual([['smb', 'medium', '10.50.0.10', '10.50.0.20:445', 1, 2]]);
    expect(f[0].evidence).toMatchObject({ dialectsOffered: SMB1_DIALECTS, dialectChosen: ['NT LM 0.12'] });
    expect(f[0].mitre).toBe('T1210');
  });

  it('VNC: None high, VNC authentication medium, VeNCrypt silent', () => {
    const t = new Timeline();
    const a = new TcpConversation(t, client, server, 50020, 5900, 1).open();
    a.s(rfbVersion('003.003'));
    a.c(rfbVersion('003.003'));
    a.s(rfb33Type(1));
    a.close();
    const b = new TcpConversation(t, client, server, 50021, 5901, 2).open();
    b.s(rfbVersion('003.008'));
    b.c(rfbVersion('003.008'));
    b.s(rfbTypes(2, 19));
    b.c(Buffer.from([2]));
    b.s(Buffer.alloc(16, 9));
    b.close();
    const c = new TcpConversation(t, client, server, 50022, 5902, 3).open();
    c.s(rfbVersion('003.008'));
    c.c(rfbVersion('003.008'));
    c.s(rfbTypes(19));
    c.c(Buffer.from([19]));
    c.close();
    const f = findings(t);
    expect(summary(f)).toEqual([
      ['vnc', 'high', '10.50.0.10', '10.50.0.20:5900', 1, 1],
      ['vnc', 'medium', '10.50.0.10', '10.50.0.20:5901', 1, 1],
    ]);
    expect(f[0].mitre).toBe('T1021.005');
    expect(f[1].evidence).toMatchObject({
      securityTypesChosen: ['VNC Authentication (2)'],
      securityTypesOffered: ['VNC Authentication (2)', 'VeNCrypt (19)'],
    });
  });

  it('rlogin, rsh and rexec: high, with user names and without the rexec password', () => {
    const t = new Timeline();
    new TcpConversation(t, client, server, 1023, 513, 1).open().c(rloginHandshake('alice', 'root'));
    const rsh = new TcpConversation(t, client, server, 1022, 514, 2).open();
    rsh.c('1021\0');
    rsh.c(rshHandshake('1021', 'bob', 'backup', 'tar cf - /etc').subarray(5));
    new TcpConversation(t, client, server, 40000, 512, 3).open().c(rexecHandshake('0', 'carol', 'Pa$$w0rd', 'id'));
    const f = findings(t);
    expect(summary(f)).toEqual([
      ['rlogin', 'high', '10.50.0.10', '10.50.0.20:513', 1, 1],
      ['rsh', 'high', '10.50.0.10', '10.50.0.20:514', 1, 1],
      ['rexec', 'high', '10.50.0.10', '10.50.0.20:512', 1, 1],
    ]);
    expect(f.map((x) => x.evidence.users)).toEqual([['root'], ['backup'], ['carol']]);
    expect(JSON.stringify(f)).not.toContain('Pa$$w0rd');
  });

  it('FTP/SMTP/IMAP/POP3 upgraded with AUTH TLS / STARTTLS / STLS are silent', () => {
    const t = new Timeline();
    const tls = Buffer.from('16030100050102030405', 'hex');
    const ftp = new TcpConversation(t, client, server, 50030, 21, 1).open();
    ftp.s('220 ready\r\n');
    ftp.c('FEAT\r\n');
    ftp.s('211-Features:\r\n AUTH TLS\r\n211 End\r\n');
    ftp.c('AUTH TLS\r\n');
    ftp.s('234 AUTH TLS successful\r\n');
    ftp.c(tls);
    ftp.close();
    const smtp = new TcpConversation(t, client, server, 50031, 25, 2).open();
    smtp.s('220 mx.example ESMTP Postfix\r\n');
    smtp.c('EHLO me\r\n');
    smtp.s('250-mx.example\r\n250 STARTTLS\r\n');
    smtp.c('STARTTLS\r\n');
    smtp.s('220 2.0.0 Ready to start TLS\r\n');
    smtp.c(tls);
    smtp.close();
    const imap = new TcpConversation(t, client, server, 50032, 143, 3).open();
    imap.s('* OK IMAP4rev1 ready\r\n');
    imap.c('a1 CAPABILITY\r\n');
    imap.s('* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na1 OK done\r\n');
    imap.c('a2 STARTTLS\r\n');
    imap.s('a2 OK Begin TLS negotiation now\r\n');
    imap.c(tls);
    imap.close();
    const pop = new TcpConversation(t, client, server, 50033, 110, 4).open();
    pop.s('+OK POP3 ready\r\n');
    pop.c('CAPA\r\n');
    pop.s('+OK\r\nSTLS\r\nUSER\r\n.\r\n');
    pop.c('STLS\r\n');
    pop.s('+OK Begin TLS\r\n');
    pop.c(tls);
    pop.close();
    expect(findings(t)).toEqual([]);
  });

  it('a refused upgrade, SMTP without STARTTLS (AUTH raises it to high), and EHLO alone judged at the end', () => {
    const t = new Timeline();
    const ftp = new TcpConversation(t, client, server, 50040, 21, 1).open();
    ftp.s('220 ready\r\n');
    ftp.c('AUTH TLS\r\n');
    ftp.s('500 AUTH not understood\r\n');
    ftp.c('USER anonymous\r\n');
    ftp.s('331 ok\r\n');
    ftp.close();
    const smtp = new TcpConversation(t, client, server, 50041, 25, 2).open();
    smtp.s('220 mx.example ESMTP\r\n');
    smtp.c('EHLO me\r\n');
    smtp.s('250 mx.example\r\n');
    smtp.c('MAIL FROM:<a@b>\r\n');
    smtp.s('250 ok\r\n');
    smtp.close();
    const other = host('10.50.0.15', 15);
    const smtp2 = new TcpConversation(t, other, server, 50042, 587, 3).open();
    smtp2.s('220 mx.example ESMTP\r\n');
    smtp2.c('EHLO me\r\n');
    smtp2.s('250-mx.example\r\n250 AUTH PLAIN\r\n');
    smtp2.c('AUTH PLAIN AGJvYgBodW50ZXIy\r\n');
    smtp2.s('235 ok\r\n');
    smtp2.close();
    const third = host('10.50.0.16', 16);
    const smtp3 = new TcpConversation(t, third, server, 50043, 25, 4).open();
    smtp3.s('220 mx.example ESMTP\r\n');
    smtp3.c('EHLO probe\r\n');
    smtp3.s('250 mx.example\r\n');
    const f = findings(t);
    expect(summary(f)).toEqual([
      ['ftp', 'high', '10.50.0.10', '10.50.0.20:21', 1, 2],
      ['smtp', 'medium', '10.50.0.10', '10.50.0.20:25', 1, 2],
      ['smtp', 'high', '10.50.0.15', '10.50.0.20:587', 1, 2],
      ['smtp', 'medium', '10.50.0.16', '10.50.0.20:25', 1, 1],
    ]);
    expect(JSON.stringify(f)).not.toContain('AGJvYgBodW50ZXIy');
  });

  it('HTTP Basic: any case of the scheme, counted per request, path without its query; Bearer is not Basic', () => {
    const t = new Timeline();
    const s = new TcpConversation(t, client, server, 50060, 8080, 1).open();
    s.c('GET /api/items?token=abc123 HTTP/1.1\r\nHost: intranet\r\nauthorization: basic dTpw\r\n\r\n');
    s.s('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    s.c('GET /api/other HTTP/1.1\r\nHost: intranet\r\nAuthorization: BASIC dTpw\r\n\r\n');
    s.s('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    s.c('GET /api/bearer HTTP/1.1\r\nHost: intranet\r\nAuthorization: Bearer eyJhbGci\r\n\r\n');
    s.s('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    const f = findings(t);
    expect(summary(f)).toEqual([['http-basic', 'high', '10.50.0.10', '10.50.0.20:8080', 1, 2]]);
    expect(f[0].evidence).toMatchObject({ hosts: ['intranet'], paths: ['/api/items', '/api/other'] });
    const text = JSON.stringify(f);
    for (const secret of ['dTpw', 'abc123', 'eyJhbGci']) expect(text).not.toContain(secret);
  });

  it('several connections of one pair make one finding with counts; commands reported with backoff', () => {
    const t = new Timeline();
    for (let k = 0; k < 3; k++) {
      const s = new TcpConversation(t, client, server, 50050 + k, 23, k * 10).open();
      s.s(Buffer.from('login: ', 'latin1'));
      for (let i = 0; i < 5; i++) s.c(`cmd${i}\r\n`);
      s.close();
    }
    const f = findings(t);
    expect(summary(f)).toEqual([['telnet', 'high', '10.50.0.10', '10.50.0.20:23', 3, 15]]);
    // Judgement of each connection, commands 1, 2, 4, 8 (powers of two) and the final count at the end.
    expect(f[0].evidence.framesTotal).toBeLessThan(15);
  });
});
