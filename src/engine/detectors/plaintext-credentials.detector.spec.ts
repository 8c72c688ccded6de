import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
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
import { toRecord } from '../../../test/support/frame-builder';
import { SHARED_PCAPS, capturesIn } from '../../../test/support/paths';
import { TcpConversation, Timeline, host, run, udpFrame } from '../../../test/support/traffic';
import { analyzeCapture } from '../analyze-capture';
import { resolveConfig } from '../config';
import type { ConnectionInfo } from '../events';
import type { Finding, FindingReport } from '../finding';
import { Pipeline, type PipelineState } from '../pipeline';
import { PlaintextCredentialsDetector } from './plaintext-credentials.detector';
import { createDetectors } from './registry';
import { maskSecret } from './secret-mask';

const ID = 'plaintext-credentials';

async function analyze(file: string): Promise<Finding[]> {
  const a = await analyzeCapture(file, basename(file), { config: resolveConfig(), detectors: [ID] });
  expect(a.errors).toEqual([]);
  return a.findings;
}

/** What a credential finding says, compactly. */
function brief(f: Finding) {
  const e = f.evidence;
  return {
    type: f.type,
    severity: f.severity,
    count: f.count,
    client: f.src?.ip,
    server: `${f.dst?.ip}:${f.dst?.port}`,
    protocol: e.protocol,
    user: e.user,
    method: e.method,
    succeeded: e.succeeded,
    secret: e.secret,
    attempts: e.attempts,
    frames: e.frames,
  };
}

const attempts = (succeeded: number, failed: number, unknown: number) => ({
  total: succeeded + failed + unknown,
  succeeded,
  failed,
  unknown,
});

const att = (n: string) => join(SHARED_PCAPS, 'attacks', n);
const pub = (n: string) => join(SHARED_PCAPS, 'public', n);

describe('plaintext-credentials on the recorded attack captures', () => {
  it('ftp-login: one FTP credential for alice, login succeeded (230), secret masked', async () => {
    const f = await analyze(att('ftp-login.pcap'));
    expect(f.map(brief)).toEqual([
      {
        type: 'plaintext-credential',
        severity: 'high',
        count: 1,
        client: '10.231.0.10',
        server: '10.231.0.20:21',
        protocol: 'ftp',
        user: 'alice',
        method: 'USER/PASS',
        succeeded: true,
        secret: 'T*********3 (11 chars)',
        attempts: attempts(1, 0, 0),
        frames: [9, 10], // PASS, 230
      },
    ]);
    expect(f[0]).toMatchObject({
      detector: ID,
      mitre: 'T1040',
      title: 'Cleartext FTP credentials for alice from 10.231.0.10 to 10.231.0.20:21 (login succeeded)',
    });
  });

  it('http-basic-and-form: HTTP Basic for bob and a form login for carol; the server (404, 501) does not tell', async () => {
    const f = await analyze(att('http-basic-and-form.pcap'));
    expect(f.map(brief)).toEqual([
      {
        type: 'plaintext-credential',
        severity: 'medium',
        count: 1,
        client: '10.231.0.10',
        server: '10.231.0.20:80',
        protocol: 'http',
        user: 'bob',
        method: 'HTTP Basic',
        succeeded: null, // 404: neither accepted (2xx/3xx) nor refused (401/403)
        secret: '******* (7 chars)',
        attempts: attempts(0, 0, 1),
        frames: [4],
      },
      {
        type: 'plaintext-credential',
        severity: 'medium',
        count: 1,
        client: '10.231.0.10',
        server: '10.231.0.20:80',
        protocol: 'http',
        user: 'carol',
        method: 'form POST /login',
        succeeded: null, // 501 Unsupported method
        secret: 'c**********e (12 chars)',
        attempts: attempts(0, 0, 1),
        frames: [16],
      },
    ]);
  });

  it('clean-web: nothing', async () => {
    expect(await analyze(att('clean-web.pcap'))).toEqual([]);
  });
});

describe('plaintext-credentials on the public captures', () => {
  const base = {
    type: 'plaintext-credential',
    severity: 'high' as const,
    count: 1,
    succeeded: true,
    attempts: attempts(1, 0, 0),
  };
  const expected: Record<string, ReturnType<typeof brief>[]> = {
    'telnet__telnet-01__telnet.pcap': [
      {
        ...base,
        client: '192.168.0.2',
        server: '192.168.0.1:23',
        protocol: 'telnet',
        user: 'fake', // typed at "login: ", echoed back by the server
        method: 'login prompt',
        secret: '**** (4 chars)', // typed at "Password:"; "Last login:" follows
        frames: [38, 45],
      },
    ],
    'ftp-epsv__input.pcap': [
      {
        ...base,
        type: 'anonymous-login',
        severity: 'info' as const,
        client: '192.168.1.182',
        server: '192.168.1.231:21',
        protocol: 'ftp',
        user: 'ftp',
        method: 'USER/PASS',
        secret: '*** (3 chars)',
        frames: [10, 12],
      },
    ],
    'ftp__ftp-download-passive__input.pcap': [
      {
        ...base,
        client: '172.23.0.3',
        server: '172.23.0.2:21',
        protocol: 'ftp',
        user: 'bob',
        method: 'USER/PASS',
        secret: 'p******d (8 chars)',
        frames: [9, 10],
      },
    ],
    'pop3__input.pcap': [
      {
        ...base,
        client: '10.4.20.103',
        server: '74.208.5.11:110',
        protocol: 'pop3',
        user: 'moises.nunez@ingenierianumar.com',
        method: 'USER/PASS',
        secret: 'm**********z (12 chars)',
        frames: [10, 11],
      },
    ],
    'pop3-auth-01__input.pcap': [
      {
        ...base,
        client: '1.1.1.1',
        server: '2.2.2.2:110',
        protocol: 'pop3',
        user: 'joe.speedboat',
        method: 'AUTH XOAUTH2', // an OAuth bearer token in the SASL response: replayable
        secret: 'A**************************A (28 chars)',
        frames: [12, 14],
      },
    ],
    'imap-detection__input.pcap': [
      {
        ...base,
        client: '131.151.32.21',
        server: '131.151.37.122:143',
        protocol: 'imap',
        user: 'neulingern',
        method: 'LOGIN',
        secret: '****** (6 chars)',
        frames: [8, 9],
      },
    ],
    'http-auth-bearer__input.pcap': [
      {
        ...base,
        client: '127.0.0.1',
        server: '127.0.0.1:8008',
        protocol: 'http',
        user: null,
        method: 'HTTP Bearer',
        secret: 'm*************M (15 chars)',
        frames: [5, 11],
      },
    ],
    'http-auth-unrecognized__input.pcap': [
      {
        ...base,
        client: '127.0.0.1',
        server: '127.0.0.1:8000',
        protocol: 'http',
        user: null,
        method: 'HTTP Turbo', // unknown scheme: its value is still a replayable secret
        secret: 'c****************e (18 chars)',
        frames: [5, 9],
      },
    ],
  };

  for (const [file, want] of Object.entries(expected)) {
    it(`${file}: ${want.map((w) => `${w.protocol} ${w.user ?? '(no user)'}`).join(', ')}`, async () => {
      expect((await analyze(pub(file))).map(brief)).toEqual(want);
    });
  }

  it('every other public and attack capture: nothing', async () => {
    const others = [...capturesIn(join(SHARED_PCAPS, 'public')), ...capturesIn(join(SHARED_PCAPS, 'attacks'))].filter(
      (f) => !(basename(f) in expected) && !/ftp-login|http-basic-and-form/.test(f),
    );
    expect(others.length).toBeGreaterThan(20);
    const noisy: string[] = [];
    for (const f of others) if ((await analyze(f)).length > 0) noisy.push(basename(f));
    expect(noisy).toEqual([]);
  });
});

// ---- synthesised sessions ----------------------------------------------------------------------

const C = host('10.9.0.10', 0x10);
const S = host('10.9.0.20', 0x20);

/** A credential finding of a session synthesised from C to S:port, as `brief` gives it. */
const synthesised = (port: number, f: Omit<ReturnType<typeof brief>, 'type' | 'client' | 'server'>) => ({
  type: 'plaintext-credential',
  client: C.ip,
  server: `${S.ip}:${port}`,
  ...f,
});
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function findings(t: Timeline): Finding[] {
  return run(t, [ID]).findings;
}

describe('plaintext-credentials on synthesised FTP, POP3, IMAP and SMTP sessions', () => {
  it('FTP: a failed login (530) then a successful one (230) for the same user: one finding, two attempts', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40001, 21).open();
    x.s('220 ready\r\n');
    x.c('USER dave\r\n');
    x.s('331 Password required\r\n');
    const p1 = x.c('PASS wrongpassword\r\n');
    const r1 = x.s('530 Login incorrect.\r\n');
    x.c('USER dave\r\n');
    x.s('331 Password required\r\n');
    const p2 = x.c('PASS s3cretPassw0rd\r\n');
    const r2 = x.s('230 Login successful.\r\n');
    x.close();
    expect(findings(t).map(brief)).toEqual([
      synthesised(21, {
        severity: 'high',
        count: 2,
        protocol: 'ftp',
        user: 'dave',
        method: 'USER/PASS',
        succeeded: true,
        secret: 's************d (14 chars)',
        attempts: attempts(1, 1, 0),
        frames: [p1, r1, p2, r2],
      }),
    ]);
    expect(findings(t)[0].evidence.secrets).toEqual(['w***********d (13 chars)', 's************d (14 chars)']);
  });

  it('FTP: only failed logins → medium, succeeded false', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40002, 21).open();
    x.s('220 ready\r\n');
    x.c('USER root\r\n');
    x.s('331 Password required\r\n');
    x.c('PASS toor\r\n');
    x.s('530 Login incorrect.\r\n');
    x.close();
    expect(findings(t).map(brief)).toMatchObject([
      {
        severity: 'medium',
        count: 1,
        user: 'root',
        succeeded: false,
        secret: '**** (4 chars)',
        attempts: attempts(0, 1, 0),
      },
    ]);
  });

  it('POP3 APOP: user name and an MD5 digest (not the password) → medium when accepted', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40003, 110).open();
    x.s('+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n');
    const a = x.c('APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n');
    const r = x.s("+OK mrose's maildrop has 2 messages (320 octets)\r\n");
    x.close();
    expect(findings(t).map(brief)).toEqual([
      synthesised(110, {
        severity: 'medium',
        count: 1,
        protocol: 'pop3',
        user: 'mrose',
        method: 'APOP',
        succeeded: true,
        secret: 'c******************************b (32 chars)',
        attempts: attempts(1, 0, 0),
        frames: [a, r],
      }),
    ]);
  });

  it('POP3 AUTH PLAIN with the response on a continuation line, refused (-ERR)', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40004, 110).open();
    x.s('+OK ready\r\n');
    x.c('AUTH PLAIN\r\n');
    x.s('+ \r\n');
    const d = x.c(`${b64('\0erin\0letmein-please')}\r\n`);
    const r = x.s('-ERR [AUTH] Authentication failed.\r\n');
    x.close();
    expect(findings(t).map(brief)).toEqual([
      synthesised(110, {
        severity: 'medium',
        count: 1,
        protocol: 'pop3',
        user: 'erin',
        method: 'AUTH PLAIN',
        succeeded: false,
        secret: 'l************e (14 chars)',
        attempts: attempts(0, 1, 0),
        frames: [d, r],
      }),
    ]);
  });

  it('IMAP: LOGIN with quoted strings (escapes), AUTHENTICATE PLAIN with SASL-IR, AUTHENTICATE LOGIN by continuations', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40005, 143).open();
    x.s('* OK IMAP4rev1 ready\r\n');
    const l1 = x.c('a1 LOGIN "frank" "pa\\"ss word1"\r\n');
    const r1 = x.s('a1 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n');
    const l2 = x.c(`a2 AUTHENTICATE PLAIN ${b64('\0frank\0CorrectPass9')}\r\n`);
    const r2 = x.s('a2 OK Logged in\r\n');
    x.close();
    const y = new TcpConversation(t, C, S, 40006, 143, 5).open();
    y.s('* OK IMAP4rev1 ready\r\n');
    y.c('b1 AUTHENTICATE LOGIN\r\n');
    y.s(`+ ${b64('Username:')}\r\n`);
    y.c(`${b64('grace')}\r\n`);
    y.s(`+ ${b64('Password:')}\r\n`);
    const l3 = y.c(`${b64('GraceHopper1906')}\r\n`);
    const r3 = y.s('b1 OK Logged in\r\n');
    y.close();
    expect(findings(t).map(brief)).toEqual([
      synthesised(143, {
        severity: 'high',
        count: 2,
        protocol: 'imap',
        user: 'frank',
        method: 'AUTHENTICATE PLAIN', // the method of the latest attempt
        succeeded: true,
        secret: 'C**********9 (12 chars)',
        attempts: attempts(1, 1, 0),
        frames: [l1, r1, l2, r2],
      }),
      synthesised(143, {
        severity: 'high',
        count: 1,
        protocol: 'imap',
        user: 'grace',
        method: 'AUTHENTICATE LOGIN',
        succeeded: true,
        secret: 'G*************6 (15 chars)',
        attempts: attempts(1, 0, 0),
        frames: [l3, r3],
      }),
    ]);
    expect(findings(t)[0].evidence.secrets).toEqual([maskSecret('pa"ss word1'), 'C**********9 (12 chars)']);
  });

  it('IMAP LOGIN with literals (synchronising and LITERAL+): user name and password read from them', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40007, 143).open();
    x.s('* OK ready\r\n');
    x.c('c1 LOGIN {5}\r\n');
    x.s('+ Ready for literal data\r\n');
    x.c('heidi {12}\r\n');
    x.s('+ Ready for literal data\r\n');
    const l1 = x.c('Lit3ralPass!\r\n');
    const r1 = x.s('c1 NO LOGIN failed\r\n');
    const l2 = x.c('c2 LOGIN {5+}\r\nheidi {13+}\r\nLit3ralPass!!\r\n');
    const r2 = x.s('c2 OK LOGIN completed\r\n');
    // A literal past what the parser keeps: the login is still a cleartext one.
    const l3 = x.c(`c3 LOGIN {5+}\r\nheidi {300+}\r\n${'x'.repeat(300)}\r\n`);
    const r3 = x.s('c3 NO LOGIN failed\r\n');
    x.close();
    expect(findings(t).map(brief)).toEqual([
      synthesised(143, {
        severity: 'high',
        count: 2,
        protocol: 'imap',
        user: 'heidi',
        method: 'LOGIN',
        succeeded: true,
        secret: 'L***********! (13 chars)',
        attempts: attempts(1, 1, 0),
        frames: [l1, r1, l2, r2],
      }),
      synthesised(143, {
        severity: 'medium',
        count: 1,
        protocol: 'imap',
        user: null,
        method: 'LOGIN',
        succeeded: false,
        secret: '(literal, not read)',
        attempts: attempts(0, 1, 0),
        frames: [l3, r3],
      }),
    ]);
    expect(findings(t)[0].evidence.secrets).toEqual(['L**********! (12 chars)', 'L***********! (13 chars)']);
  });

  it('SMTP AUTH PLAIN with an initial response (235) and AUTH LOGIN by 334 continuations refused (535)', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40008, 25).open();
    x.s('220 mail.example.test ESMTP Postfix\r\n');
    x.c('EHLO client\r\n');
    x.s('250-mail.example.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n');
    const a1 = x.c(`AUTH PLAIN ${b64('ivan\0ivan\0MailPassw0rd')}\r\n`);
    const r1 = x.s('235 2.7.0 Authentication successful\r\n');
    x.c('QUIT\r\n');
    x.s('221 Bye\r\n');
    x.close();
    const y = new TcpConversation(t, C, S, 40009, 587, 5).open();
    y.s('220 mail.example.test ESMTP\r\n');
    y.c('EHLO client\r\n');
    y.s('250 AUTH LOGIN\r\n');
    y.c('AUTH LOGIN\r\n');
    y.s(`334 ${b64('Username:')}\r\n`);
    y.c(`${b64('judy')}\r\n`);
    y.s(`334 ${b64('Password:')}\r\n`);
    const a2 = y.c(`${b64('nope')}\r\n`);
    const r2 = y.s('535 5.7.8 Error: authentication failed\r\n');
    y.close();
    expect(findings(t).map(brief)).toEqual([
      synthesised(25, {
        severity: 'high',
        count: 1,
        protocol: 'smtp',
        user: 'ivan',
        method: 'AUTH PLAIN',
        succeeded: true,
        secret: 'M**********d (12 chars)',
        attempts: attempts(1, 0, 0),
        frames: [a1, r1],
      }),
      synthesised(587, {
        severity: 'medium',
        count: 1,
        protocol: 'smtp',
        user: 'judy',
        method: 'AUTH LOGIN',
        succeeded: false,
        secret: '**** (4 chars)',
        attempts: attempts(0, 1, 0),
        frames: [a2, r2],
      }),
    ]);
  });

  it('POP3 AUTH LOGIN by continuations and SMTP AUTH LOGIN with the user name as initial response', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40011, 110).open();
    x.s('+OK ready\r\n');
    x.c('AUTH LOGIN\r\n');
    x.s(`+ ${b64('Username:')}\r\n`);
    x.c(`${b64('kate')}\r\n`);
    x.s(`+ ${b64('Password:')}\r\n`);
    const a1 = x.c(`${b64('Kate-Pop3-Pw')}\r\n`);
    const r1 = x.s('+OK Logged in.\r\n');
    x.close();
    const y = new TcpConversation(t, C, S, 40012, 25, 5).open();
    y.s('220 mail ESMTP Postfix\r\n');
    y.c(`AUTH LOGIN ${b64('liam')}\r\n`);
    y.s(`334 ${b64('Password:')}\r\n`);
    const a2 = y.c(`${b64('Liam-Smtp-Pw')}\r\n`);
    const r2 = y.s('235 2.7.0 Authentication successful\r\n');
    y.close();
    expect(
      findings(t).map((f) => [
        brief(f).protocol,
        brief(f).user,
        brief(f).method,
        brief(f).succeeded,
        brief(f).secret,
        brief(f).frames,
      ]),
    ).toEqual([
      ['pop3', 'kate', 'AUTH LOGIN', true, 'K**********w (12 chars)', [a1, r1]],
      ['smtp', 'liam', 'AUTH LOGIN', true, 'L**********w (12 chars)', [a2, r2]],
    ]);
  });

  it('challenge-response SASL (CRAM-MD5) and a cancelled AUTH LOGIN expose no secret: nothing', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40010, 25).open();
    x.s('220 mail ESMTP Postfix\r\n');
    x.c('AUTH CRAM-MD5\r\n');
    x.s(`334 ${b64('<1896.697170952@postoffice.example.net>')}\r\n`);
    x.c(`${b64('tim b913a602c7eda7a495b4e6e7334d3890')}\r\n`);
    x.s('235 2.7.0 Authentication successful\r\n');
    x.c('AUTH LOGIN\r\n');
    x.s(`334 ${b64('Username:')}\r\n`);
    x.c('*\r\n');
    x.s('501 5.7.0 Authentication aborted\r\n');
    x.close();
    expect(findings(t)).toEqual([]);
  });
});

describe('plaintext-credentials on synthesised HTTP logins', () => {
  const req = (method: string, path: string, headers: string[], body = '') =>
    `${method} ${path} HTTP/1.1\r\nHost: app.test\r\n${headers.map((h) => h + '\r\n').join('')}` +
    `${body ? `Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n` : ''}\r\n${body}`;
  /** One HTTP credential to S:80 with a single attempt, as brief() gives it. */
  const http = (user: string, method: string, succeeded: boolean | null, secret: string, frames: number[]) => ({
    type: 'plaintext-credential',
    severity: succeeded === true ? 'high' : 'medium',
    count: 1,
    client: C.ip,
    server: `${S.ip}:80`,
    protocol: 'http',
    user,
    method,
    succeeded,
    secret,
    attempts: succeeded === true ? attempts(1, 0, 0) : succeeded === false ? attempts(0, 1, 0) : attempts(0, 0, 1),
    frames,
  });

  it('multipart form login answered 302 + Set-Cookie → succeeded; urlencoded login answered 401 → failed; Basic 401 → failed', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40020, 80).open();
    const boundary = '----WebKitFormBoundary7MA4YWxkTrZu0gW';
    const mp =
      `--${boundary}\r\nContent-Disposition: form-data; name="login[email]"\r\n\r\nkim@example.test\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="password"\r\nContent-Type: text/plain\r\n\r\nnot-this\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="login[password]"\r\n\r\nMultipartSecret42\r\n` +
      `--${boundary}--\r\n`;
    const q1 = x.c(
      req('POST', '/session?next=%2Fhome&token=abc', [`Content-Type: multipart/form-data; boundary=${boundary}`], mp),
    );
    const a1 = x.s(
      'HTTP/1.1 302 Found\r\nLocation: /home\r\nSet-Cookie: sid=0123456789abcdef; HttpOnly\r\nContent-Length: 0\r\n\r\n',
    );
    const q2 = x.c(
      req('POST', '/login', ['Content-Type: application/x-www-form-urlencoded'], 'user=lee&pwd=p%40ss+word&remember=1'),
    );
    const a2 = x.s('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
    x.c(req('GET', '/', []));
    x.s('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    const q3 = x.c(req('GET', '/admin', [`Authorization: Basic ${b64('mallory:Sup3rSecretBasic')}`]));
    const a3 = x.s('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n');
    x.close();
    expect(findings(t).map(brief)).toEqual([
      // the query string (it may hold tokens) is not part of the method
      http('kim@example.test', 'form POST /session (multipart)', true, 'M***************2 (17 chars)', [q1, a1]),
      http('lee', 'form POST /login', false, maskSecret('p@ss word'), [q2, a2]),
      http('mallory', 'HTTP Basic', false, 'S**************c (16 chars)', [q3, a3]),
    ]);
  });

  it('JSON login redirected back to the login page → failed; Digest and NTLM carry no password → nothing', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40021, 8080).open();
    const q = x.c(
      req(
        'POST',
        '/api/login',
        ['Content-Type: application/json'],
        '{"username":"nina","password":"JsonSecret77","n":1}',
      ),
    );
    const a = x.s('HTTP/1.1 303 See Other\r\nLocation: /api/login?error=1\r\nContent-Length: 0\r\n\r\n');
    x.c(
      req('GET', '/d', [
        'Authorization: Digest username="nina", realm="r", nonce="n", uri="/d", response="6629fae49393a05397450978507c4ef1"',
      ]),
    );
    x.s('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    x.c(req('GET', '/n', ['Authorization: NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==']));
    x.s('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    x.close();
    expect(findings(t).map(brief)).toEqual([
      synthesised(8080, {
        severity: 'medium',
        count: 1,
        protocol: 'http',
        user: 'nina',
        method: 'form POST /api/login (json)',
        succeeded: false,
        secret: 'J**********7 (12 chars)',
        attempts: attempts(0, 1, 0),
        frames: [q, a],
      }),
    ]);
  });

  it('a password in a URL query (it also lands in logs) is a credential; the query is not copied', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40023, 80).open();
    const q = x.c(req('GET', '/cgi-bin/login.cgi?user=root&pass=RootPassword1&x=1', []));
    x.s('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    x.c(req('GET', '/search?q=pass&password_hint=', []));
    x.s('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    x.close();
    const f = findings(t);
    expect(f.map(brief)).toEqual([
      synthesised(80, {
        severity: 'medium',
        count: 1,
        protocol: 'http',
        user: 'root',
        method: 'URL query GET /cgi-bin/login.cgi',
        succeeded: null, // 200: the page could say either
        secret: 'R***********1 (13 chars)',
        attempts: attempts(0, 0, 1),
        frames: [q],
      }),
    ]);
    expect(JSON.stringify(f)).not.toContain('RootPassword1');
  });

  it('a posted form answered 200 with the login form again (plain, or gzip in chunks) → failed; other 200 pages, a URL-query login and Basic → as before', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40024, 80).open();
    const form = (user: string, pw: string) =>
      req('POST', '/login', ['Content-Type: application/x-www-form-urlencoded'], `username=${user}&password=${pw}`);
    const page = (headers: string[], body: string | Buffer) =>
      Buffer.concat([
        Buffer.from(
          `HTTP/1.1 200 OK\r\n${headers.map((h) => h + '\r\n').join('')}Content-Length: ${body.length}\r\n\r\n`,
        ),
        Buffer.from(body),
      ]);
    const loginPage =
      '<html><p class=error>Invalid user name or password</p><form method=post action=/login>' +
      '<input name=username><input type="password" name="password"></form></html>';
    // 1. The form shown again, uncompressed.
    const q1 = x.c(form('ann', 'AnnWrong1'));
    const a1 = x.s(page(['Content-Type: text/html; charset=utf-8'], loginPage));
    // 2. The same, gzip-encoded and sent in two chunks: read through the content-coding decoder.
    const gz = gzipSync(Buffer.from(loginPage));
    const q2 = x.c(form('bea', 'BeaWrong22'));
    const a2 = x.s(
      Buffer.concat([
        Buffer.from(
          'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n',
        ),
        Buffer.from('10\r\n'),
        gz.subarray(0, 16),
        Buffer.from(`\r\n${(gz.length - 16).toString(16)}\r\n`),
        gz.subarray(16),
        Buffer.from('\r\n0\r\n\r\n'),
      ]),
    );
    // 3. A 200 landing page without a password input: could be either.
    const q3 = x.c(form('cy', 'CyRight333'));
    x.s(page(['Content-Type: text/html'], '<html><h1>Welcome back</h1><a href=/logout>log out</a></html>'));
    // 4. The login page's text as a non-HTML answer (an API echoing it): not a page shown.
    const q4 = x.c(form('dee', 'DeeMaybe4'));
    x.s(page(['Content-Type: application/json'], JSON.stringify({ html: loginPage })));
    // 5. A password in a URL query answered with the login page: not a posted form, stays unknown.
    const q5 = x.c(req('GET', '/login?username=eve&password=EveQuery55', []));
    x.s(page(['Content-Type: text/html'], loginPage));
    // 6. Basic answered 200 with a page holding a password input: Basic's 2xx is still success.
    const q6 = x.c(req('GET', '/admin', [`Authorization: Basic ${b64('fay:FayBasic666')}`]));
    const a6 = x.s(page(['Content-Type: text/html'], loginPage));
    x.close();
    const f = findings(t);
    expect(f.map(brief)).toEqual([
      http('ann', 'form POST /login', false, maskSecret('AnnWrong1'), [q1, a1]),
      http('bea', 'form POST /login', false, maskSecret('BeaWrong22'), [q2, a2]),
      http('cy', 'form POST /login', null, maskSecret('CyRight333'), [q3]),
      http('dee', 'form POST /login', null, maskSecret('DeeMaybe4'), [q4]),
      http('eve', 'URL query GET /login', null, maskSecret('EveQuery55'), [q5]),
      http('fay', 'HTTP Basic', true, maskSecret('FayBasic666'), [q6, a6]),
    ]);
    const json = JSON.stringify(f);
    for (const v of ['AnnWrong1', 'BeaWrong22', 'CyRight333', 'DeeMaybe4', 'EveQuery55', 'FayBasic666'])
      expect(json).not.toContain(v);
  });

  it('a POST without a password field (search) or with an empty one (log4shell probe) is not a login', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40022, 80).open();
    x.c(req('POST', '/search', ['Content-Type: application/x-www-form-urlencoded'], 'q=password+reset&user=me'));
    x.s('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    x.c(
      req(
        'POST',
        '/login',
        ['Content-Type: application/x-www-form-urlencoded'],
        'username=%24%7Bjndi%3Aldap%3A%2F%2Fx%2Fa%7D&password=',
      ),
    );
    x.s('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    x.close();
    expect(findings(t)).toEqual([]);
  });
});

describe('plaintext-credentials on synthesised Telnet logins', () => {
  it('character-at-a-time typing with server echo, backspace and CR NUL; a failed login then a successful one', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40030, 23).open();
    x.s(Buffer.from([0xff, 0xfd, 0x18, 0xff, 0xfb, 0x01])); // DO TTYPE, WILL ECHO
    x.c(Buffer.from([0xff, 0xfb, 0x18, 0xff, 0xfd, 0x01]));
    x.s('\r\nUbuntu 22.04 LTS\r\nhost login: ');
    for (const ch of 'olga') {
      x.c(ch);
      x.s(ch); // echo
    }
    x.c('\r\0');
    x.s('\r\nPassword: ');
    for (const ch of 'wrong') x.c(ch);
    const p1 = x.c('\r\0');
    const r1 = x.s('\r\n\r\nLogin incorrect\r\nhost login: ');
    for (const ch of 'olga') {
      x.c(ch);
      x.s(ch);
    }
    x.c('\r\n');
    x.s('\r\nPassword: ');
    for (const ch of 'Olga-Secretx') x.c(ch);
    x.c('\x7f'); // DEL erases the "x"
    x.c('!');
    const p2 = x.c('\r\0');
    const r2 = x.s('\r\nLast login: Mon Nov 23 10:00:00 2026 from 10.9.0.10\r\n');
    x.s('olga@host:~$ ');
    x.c('sudo -s\r\n');
    x.s('[sudo] password for olga: ');
    x.c('whatever\r\n');
    x.close();
    expect(findings(t).map(brief)).toEqual([
      synthesised(23, {
        severity: 'high',
        count: 2,
        protocol: 'telnet',
        user: 'olga',
        method: 'login prompt',
        succeeded: true,
        secret: maskSecret('Olga-Secret!'),
        attempts: attempts(1, 1, 0),
        frames: [p1, r1, p2, r2],
      }),
    ]);
    expect(findings(t)[0].evidence.secrets).toEqual(['***** (5 chars)', 'O**********! (12 chars)']);
  });

  it('a RHEL "Last failed login" banner before "Last login" is a success, not a failure', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40032, 23).open();
    x.s('login: ');
    x.c('quinn\r\n');
    x.s('Password: ');
    x.c('Quinn-Passw0rd\r\n');
    x.s(
      'Last failed login: Mon Nov 23 09:00:00 UTC 2026 from 10.9.0.99 on pts/1\r\nThere was 1 failed login attempt since the last successful login.\r\n',
    );
    x.s('Last login: Sun Nov 22 18:00:00 2026\r\n[quinn@host ~]$ ');
    x.close();
    expect(findings(t).map(brief)).toMatchObject([
      { user: 'quinn', succeeded: true, severity: 'high', secret: 'Q************d (14 chars)' },
    ]);
  });

  it('Telnet text that never shows a login prompt (a MUD, a router banner) is not followed', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40031, 23).open();
    x.s('Welcome to the MUD\r\nWhat is your quest? ');
    x.c('to seek the grail\r\n');
    x.close();
    expect(findings(t)).toEqual([]);
  });
});

// ---- SNMP and LDAP through the detector hooks -----------------------------------------------------

describe('plaintext-credentials on SNMP and LDAP events', () => {
  const conn: ConnectionInfo = {
    id: '10.9.0.10:50000-10.9.0.20:389#1',
    transport: 'tcp',
    client: { ip: C.ip, port: 50000 },
    server: { ip: S.ip, port: 389 },
    startTime: 100,
  };

  function harness() {
    const d = new PlaintextCredentialsDetector(resolveConfig().detectors[ID]);
    const reports: FindingReport[] = [];
    return { d, reports, ctx: { report: (r: FindingReport) => reports.push(r) } };
  }

  it('SNMP v2c get with community "private" answered (errorStatus 0) → accepted; a wrong one unanswered → unknown', () => {
    const { d, reports, ctx } = harness();
    const mgr = { ip: C.ip, port: 40000 };
    const agent = { ip: S.ip, port: 161 };
    d.onSnmp(
      { frame: 1, time: 100, src: mgr, dst: agent, version: 'v2c', community: 'private', pdu: 'get', requestId: 7 },
      ctx,
    );
    d.onSnmp(
      {
        frame: 2,
        time: 100.1,
        src: agent,
        dst: mgr,
        version: 'v2c',
        community: 'private',
        pdu: 'response',
        requestId: 7,
        errorStatus: 0,
      },
      ctx,
    );
    d.onSnmp(
      { frame: 3, time: 101, src: mgr, dst: agent, version: 'v1', community: 'guessme123', pdu: 'get', requestId: 8 },
      ctx,
    );
    d.onSnmp({ frame: 4, time: 102, src: mgr, dst: agent, version: 'v3', user: 'usm', pdu: 'get', requestId: 9 }, ctx);
    const last = reports[reports.length - 1];
    expect(reports.map((r) => r.frame)).toEqual([1, 2, 3]);
    expect(last).toMatchObject({
      key: `snmp|${C.ip}|${S.ip}|161|`,
      type: 'plaintext-credential',
      severity: 'high', // one of the two communities worked
      count: 2,
      src: { ip: C.ip },
      dst: { ip: S.ip, port: 161 },
      details: {
        protocol: 'snmp',
        user: null,
        method: 'community (SNMPv1)',
        succeeded: true,
        secret: 'g********3 (10 chars)',
        secrets: ['******* (7 chars)', 'g********3 (10 chars)'],
        attempts: attempts(1, 0, 1),
      },
    });
    expect(reports[1]).toMatchObject({ severity: 'high', details: { succeeded: true, secret: '******* (7 chars)' } });
    expect(JSON.stringify(d.snapshot())).not.toMatch(/private|guessme/);
  });

  it('rexec: user and password in the handshake → a credential, outcome unknown; rsh/rlogin carry no password', () => {
    const { d, reports, ctx } = harness();
    const rc: ConnectionInfo = { ...conn, id: 'rexec#1', server: { ip: S.ip, port: 512 } };
    d.onRemoteShell(
      { conn: rc, frame: 1, time: 100, protocol: 'rexec', user: 'oper', password: 'Rexec-Pass1', command: 'ls' },
      ctx,
    );
    d.onRemoteShell(
      { conn: rc, frame: 2, time: 101, protocol: 'rsh', clientUser: 'oper', user: 'oper', command: 'ls' },
      ctx,
    );
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      key: `rexec|${C.ip}|${S.ip}|512|oper`,
      severity: 'medium',
      count: 1,
      details: { protocol: 'rexec', user: 'oper', method: 'rexec', succeeded: null, secret: 'R*********1 (11 chars)' },
    });
  });

  it('LDAP simple bind: 49 invalidCredentials then 0 success for one DN; anonymous and SASL binds ignored', () => {
    const { d, reports, ctx } = harness();
    const dn = 'cn=admin,dc=example,dc=test';
    d.onLdapBindRequest(
      { conn, frame: 1, time: 100, messageId: 1, version: 3, name: dn, auth: 'simple', password: 'adminpass' },
      ctx,
    );
    expect(JSON.stringify(d.snapshot())).not.toContain('adminpass');
    d.onLdapBindResponse({ conn, frame: 2, time: 100.1, messageId: 1, resultCode: 49, diagnosticMessage: '' }, ctx);
    d.onLdapBindRequest(
      { conn, frame: 3, time: 101, messageId: 2, version: 3, name: dn, auth: 'simple', password: 'Adm1nPassw0rd' },
      ctx,
    );
    d.onLdapBindResponse({ conn, frame: 4, time: 101.1, messageId: 2, resultCode: 0, diagnosticMessage: '' }, ctx);
    d.onLdapBindRequest(
      { conn, frame: 5, time: 102, messageId: 3, version: 3, name: '', auth: 'simple', password: '' },
      ctx,
    );
    d.onLdapBindRequest(
      { conn, frame: 6, time: 103, messageId: 4, version: 3, name: '', auth: 'sasl', mechanism: 'GSSAPI' },
      ctx,
    );
    expect(reports.map((r) => [r.frame, r.severity, r.details?.succeeded])).toEqual([
      [1, 'medium', null],
      [2, 'medium', false],
      [3, 'medium', null],
      [4, 'high', true],
    ]);
    expect(reports[3]).toMatchObject({
      key: `ldap|${C.ip}|${S.ip}|389|${dn}`,
      count: 2,
      details: { user: dn, method: 'simple bind', secret: 'A***********d (13 chars)', attempts: attempts(1, 1, 0) },
    });
  });
});

// ---- SNMP and LDAP through the whole pipeline (parsers from the proto branch) --------------------

describe('plaintext-credentials on synthesised SNMP and LDAP captures (whole pipeline)', () => {
  it('SNMP: v2c community accepted (response errorStatus 0), a v1 guess unanswered; v3 ignored', () => {
    const t = new Timeline();
    const q1 = t.add(1, udpFrame(C, S, 40100, 161, snmpCommunity(1, 'n3tw0rk-ro!', 'get', 1001)));
    const r1 = t.add(1.01, udpFrame(S, C, 161, 40100, snmpCommunity(1, 'n3tw0rk-ro!', 'response', 1001, 0)));
    const q2 = t.add(2, udpFrame(C, S, 40101, 161, snmpCommunity(0, 'public', 'get', 1002)));
    t.add(3, udpFrame(C, S, 40102, 161, snmpV3('usm-admin', 'get', 1003)));
    expect(findings(t).map(brief)).toEqual([
      synthesised(161, {
        severity: 'high',
        count: 2,
        protocol: 'snmp',
        user: null,
        method: 'community (SNMPv1)',
        succeeded: true,
        secret: '****** (6 chars)',
        attempts: attempts(1, 0, 1),
        frames: [q1, r1, q2],
      }),
    ]);
    expect(findings(t)[0].evidence.secrets).toEqual(['n*********! (11 chars)', '****** (6 chars)']);
  });

  it('LDAP simple bind: invalidCredentials (49) then success (0); the DN is the user', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40110, 389).open();
    const b1 = x.c(ldapSimpleBind(1, 'uid=rita,ou=people,dc=example,dc=test', 'rita-typo'));
    const r1 = x.s(ldapBindResponse(1, 49));
    const b2 = x.c(ldapSimpleBind(2, 'uid=rita,ou=people,dc=example,dc=test', 'Rita-LDAP-2026'));
    const r2 = x.s(ldapBindResponse(2, 0));
    x.c(ldapSimpleBind(3, '', '')); // anonymous bind: no secret
    x.s(ldapBindResponse(3, 0));
    x.close();
    expect(findings(t).map(brief)).toEqual([
      synthesised(389, {
        severity: 'high',
        count: 2,
        protocol: 'ldap',
        user: 'uid=rita,ou=people,dc=example,dc=test',
        method: 'simple bind',
        succeeded: true,
        secret: 'R************6 (14 chars)',
        attempts: attempts(1, 1, 0),
        frames: [b1, r1, b2, r2],
      }),
    ]);
  });
});

/** Every detector snapshot taken after each frame of `t`, as JSON, then the findings. */
function snapshotsAndFindings(t: Timeline): { states: string; found: Finding[] } {
  const config = resolveConfig();
  const p = new Pipeline({ captureId: 'synthetic', detectors: createDetectors(config, [ID]), config });
  const states: string[] = [];
  t.frames.forEach((f, i) => {
    p.push(toRecord(f.data, { time: f.time, frame: i + 1 }));
    states.push(JSON.stringify(p.snapshot()));
  });
  p.finish();
  return { states: states.join('\n'), found: p.findings() };
}

describe('plaintext-credentials on synthesised LDAP SASL binds (whole pipeline)', () => {
  it('SASL PLAIN: invalidCredentials (49) then success (0); the authcid is the user, the secrets masked', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40120, 389).open();
    const b1 = x.c(ldapSaslBind(1, 'PLAIN', saslPlainMessage('', 'svc-backup', 'Backup-typo')));
    const r1 = x.s(ldapBindResponse(1, 49, 'SASL(-13): authentication failure'));
    const b2 = x.c(ldapSaslBind(2, 'PLAIN', saslPlainMessage('u:admin', 'svc-backup', 'Backup#2026!')));
    const r2 = x.s(ldapBindResponse(2, 0));
    x.close();
    const { states, found } = snapshotsAndFindings(t);
    expect(found.map(brief)).toEqual([
      synthesised(389, {
        severity: 'high',
        count: 2,
        protocol: 'ldap',
        user: 'svc-backup',
        method: 'SASL PLAIN',
        succeeded: true,
        secret: 'B**********! (12 chars)',
        attempts: attempts(1, 1, 0),
        frames: [b1, r1, b2, r2],
      }),
    ]);
    expect(found[0].evidence.secrets).toEqual(['B*********o (11 chars)', 'B**********! (12 chars)']);
    expect(found[0].title).toBe(
      'Cleartext LDAP credentials for svc-backup from 10.9.0.10 to 10.9.0.20:389 (login succeeded)',
    );
    for (const clear of ['Backup-typo', 'Backup#2026!', 'p-typo', '#2026']) {
      expect(JSON.stringify(found)).not.toContain(clear);
      expect(states).not.toContain(clear);
    }
  });

  it('SASL PLAIN refused only: medium, login failed', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40121, 389).open();
    const b1 = x.c(ldapSaslBind(1, 'PLAIN', saslPlainMessage('', 'mallory', 'guess1')));
    const r1 = x.s(ldapBindResponse(1, 49));
    x.close();
    expect(findings(t).map(brief)).toEqual([
      synthesised(389, {
        severity: 'medium',
        count: 1,
        protocol: 'ldap',
        user: 'mallory',
        method: 'SASL PLAIN',
        succeeded: false,
        secret: '****** (6 chars)', // short secrets: no character shown,
        attempts: attempts(0, 1, 0),
        frames: [b1, r1],
      }),
    ]);
  });

  it('SASL LOGIN over three binds (14 Username:, 14 Password:, 0): one credential, user from the second bind', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40122, 389).open();
    x.c(ldapSaslBind(1, 'LOGIN'));
    x.s(ldapBindResponse(1, 14, '', 'Username:'));
    x.c(ldapSaslBind(2, 'LOGIN', 'carol'));
    x.s(ldapBindResponse(2, 14, '', 'Password:'));
    const b3 = x.c(ldapSaslBind(3, 'LOGIN', 'Carol-Login-9'));
    const r3 = x.s(ldapBindResponse(3, 0));
    x.close();
    const { states, found } = snapshotsAndFindings(t);
    expect(found.map(brief)).toEqual([
      synthesised(389, {
        severity: 'high',
        count: 1,
        protocol: 'ldap',
        user: 'carol',
        method: 'SASL LOGIN',
        succeeded: true,
        secret: 'C***********9 (13 chars)',
        attempts: attempts(1, 0, 0),
        frames: [b3, r3],
      }),
    ]);
    expect(states).not.toContain('Carol-Login');
  });

  it('a LOGIN exchange refused at the user name step leaves no state: a later LOGIN bind starts afresh', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40123, 389).open();
    x.c(ldapSaslBind(1, 'LOGIN'));
    x.s(ldapBindResponse(1, 14, '', 'Username:'));
    x.c(ldapSaslBind(2, 'LOGIN', 'nobody'));
    x.s(ldapBindResponse(2, 49)); // no such user: exchange over
    x.c(ldapSaslBind(3, 'LOGIN', 'dave')); // user name sent at once (no empty first step)
    x.s(ldapBindResponse(3, 14, '', 'Password:'));
    const b4 = x.c(ldapSaslBind(4, 'LOGIN', 'Dave-pw-77'));
    const r4 = x.s(ldapBindResponse(4, 49));
    x.close();
    expect(findings(t).map(brief)).toEqual([
      synthesised(389, {
        severity: 'medium',
        count: 1,
        protocol: 'ldap',
        user: 'dave',
        method: 'SASL LOGIN',
        succeeded: false,
        secret: 'D********7 (10 chars)',
        attempts: attempts(0, 1, 0),
        frames: [b4, r4],
      }),
    ]);
  });

  it('CRAM-MD5, DIGEST-MD5, GSSAPI, GSS-SPNEGO, EXTERNAL and SCRAM binds: nothing (the password never travels)', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40124, 389).open();
    x.c(ldapSaslBind(1, 'CRAM-MD5'));
    x.s(ldapBindResponse(1, 14, '', '<1896.697170952@ldap.example.test>'));
    x.c(ldapSaslBind(2, 'CRAM-MD5', 'tim b913a602c7eda7a495b4e6e7334d3890'));
    x.s(ldapBindResponse(2, 0));
    x.c(ldapSaslBind(3, 'DIGEST-MD5', 'username="tim",realm="x",response=d388dad90d4bbd760a152321f2143af7'));
    x.s(ldapBindResponse(3, 49));
    x.c(ldapSaslBind(4, 'GSSAPI', Buffer.from('6082012a06092a864886f712010202', 'hex')));
    x.s(ldapBindResponse(4, 14));
    x.c(ldapSaslBind(5, 'GSS-SPNEGO', Buffer.from('4e544c4d5353500001000000', 'hex')));
    x.s(ldapBindResponse(5, 14));
    x.c(ldapSaslBind(6, 'EXTERNAL'));
    x.s(ldapBindResponse(6, 0));
    x.c(ldapSaslBind(7, 'SCRAM-SHA-256', 'n,,n=tim,r=rOprNGfwEbeRWgbNEkqO'));
    x.s(ldapBindResponse(7, 14));
    x.close();
    expect(findings(t)).toEqual([]);
  });

  it('SASL PLAIN after a successful StartTLS: inside TLS, nothing', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40125, 389).open();
    x.c(ldapStartTlsRequest(1));
    x.s(ldapStartTlsResponse(1, 0));
    x.c(ldapSaslBind(2, 'PLAIN', saslPlainMessage('', 'svc-backup', 'Backup#2026!'))); // TLS records in reality
    x.s(ldapBindResponse(2, 0));
    x.close();
    expect(findings(t)).toEqual([]);
  });
});

describe('plaintext-credentials state', () => {
  it('a Telnet password being typed is in the snapshot only as a mask summary; restored state gives the same finding', () => {
    const t = new Timeline();
    const x = new TcpConversation(t, C, S, 40040, 23).open();
    x.s('login: ');
    x.c('pat\r\n');
    x.s('Password: ');
    for (const ch of 'Zebra-Crossing') x.c(ch);
    const cut = t.frames.length;
    x.c('\r\n');
    x.s('Last login: yesterday\r\n$ ');
    x.close();

    const whole = findings(t);
    expect(whole.map(brief)).toMatchObject([{ user: 'pat', succeeded: true, secret: 'Z************g (14 chars)' }]);

    // Run the first part, snapshot through JSON, restore into a fresh pipeline, run the rest.
    const config = resolveConfig();
    const fresh = () => new Pipeline({ captureId: 'synthetic', detectors: createDetectors(config, [ID]), config });
    const a = fresh();
    t.frames.slice(0, cut).forEach((f, i) => a.push(toRecord(f.data, { time: f.time, frame: i + 1 })));
    const state = JSON.stringify(a.snapshot());
    expect(state).not.toMatch(/Zebra|Crossing|ebra-Cro/);
    expect(state).toContain('"len":14');
    const b = fresh();
    b.restore(JSON.parse(state) as PipelineState);
    t.frames.slice(cut).forEach((f, i) => b.push(toRecord(f.data, { time: f.time, frame: cut + i + 1 })));
    b.finish();
    expect(b.findings()).toEqual(whole);
  });
});
