import type { ConnectionInfo, Direction, StreamDataEvent } from '../events';
import { ALL_PROTOCOLS, recordingHandlers, type RecordedEvent } from './capture-harness';
import { ProtocolDispatcher } from './protocol-dispatcher';

function conn(port: number): ConnectionInfo {
  return {
    id: `10.0.0.1:50000-10.0.0.2:${port}#1`,
    transport: 'tcp',
    client: { ip: '10.0.0.1', port: 50000 },
    server: { ip: '10.0.0.2', port },
    startTime: 0,
  };
}

type Msg = [Direction, string | Buffer];

/** Feed messages as data events (frame = message index + 1); optionally split message `at` at byte `cut` with snapshot→JSON→restore between. */
function feed(c: ConnectionInfo, msgs: Msg[], split?: { at: number; cut: number }): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  let d = new ProtocolDispatcher(recordingHandlers(out), ALL_PROTOCOLS);
  let offs = [0, 0];
  msgs.forEach(([dir, m], i) => {
    const data = Buffer.isBuffer(m) ? m : Buffer.from(m, 'latin1');
    const ev = (b: Buffer): StreamDataEvent => {
      const k = dir === 'toServer' ? 0 : 1;
      const e = { conn: c, dir, data: b, streamOffset: offs[k], frame: i + 1, time: i + 1 };
      offs = k === 0 ? [offs[0] + b.length, offs[1]] : [offs[0], offs[1] + b.length];
      return e;
    };
    if (split !== undefined && split.at === i) {
      d.onData(ev(data.subarray(0, split.cut)));
      const state = JSON.parse(JSON.stringify(d.snapshot()));
      d = new ProtocolDispatcher(recordingHandlers(out), ALL_PROTOCOLS);
      d.restore(state);
      d.onData(ev(data.subarray(split.cut)));
    } else d.onData(ev(data));
  });
  d.onClose({ conn: c, reason: 'fin', frame: msgs.length, time: msgs.length });
  return out;
}

/** Event kind + the fields that matter, without conn. */
function brief(ev: RecordedEvent[]): unknown[] {
  return ev.map(([k, e]) => {
    const x = { ...(e as Record<string, unknown>) };
    delete x.conn;
    delete x.time;
    if (Buffer.isBuffer(x.body)) x.body = (x.body as Buffer).toString('latin1');
    return [k, x];
  });
}

function everySplit(c: ConnectionInfo, msgs: Msg[]): void {
  const whole = JSON.stringify(brief(feed(c, msgs)));
  msgs.forEach(([, m], at) => {
    for (let cut = 0; cut <= m.length; cut++) expect(JSON.stringify(brief(feed(c, msgs, { at, cut })))).toBe(whole);
  });
}

const SMTP: Msg[] = [
  ['toClient', '220 mx.example.org ESMTP Postfix\r\n'],
  ['toServer', 'EHLO client\r\n'],
  ['toClient', '250-mx.example.org\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n'],
  ['toServer', 'AUTH LOGIN\r\n'],
  ['toClient', '334 VXNlcm5hbWU6\r\n'],
  ['toServer', 'Ym9i\r\n'],
  ['toClient', '235 ok\r\n'],
  ['toServer', 'MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n'],
  ['toClient', '250 ok\r\n250 ok\r\n354 go ahead\r\n'],
  ['toServer', 'QUIT not a command\r\nRCPT TO:<x>\r\n..dot\r\n.\r\n'],
  ['toClient', '250 queued\r\n'],
  ['toServer', 'STARTTLS\r\n'],
  ['toClient', '220 ready\r\n'],
  ['toServer', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 0x0d, 0x0a])],
];

describe('ProtocolDispatcher + line protocols', () => {
  it('SMTP: multi-line replies, SASL data, DATA content skipped, STARTTLS stops parsing', () => {
    const ev = brief(feed(conn(2525), SMTP));
    const cmds = ev
      .filter((e) => (e as [string])[0] === 'command')
      .map((e) => {
        const x = (e as [string, { command: string; argument: string; frame: number }])[1];
        return [x.frame, x.command, x.argument];
      });
    expect(cmds).toEqual([
      [2, 'EHLO', 'client'],
      [4, 'AUTH', 'LOGIN'],
      [6, '', 'Ym9i'],
      [8, 'MAIL', 'FROM:<a@b>'],
      [8, 'RCPT', 'TO:<c@d>'],
      [8, 'DATA', ''],
      [12, 'STARTTLS', ''],
    ]);
    const replies = ev
      .filter((e) => (e as [string])[0] === 'reply')
      .map((e) => {
        const x = (e as [string, { status: string; text: string }])[1];
        return [x.status, x.text];
      });
    expect(replies).toEqual([
      ['220', 'mx.example.org ESMTP Postfix'],
      ['250', 'mx.example.org\nAUTH PLAIN LOGIN\nSTARTTLS'],
      ['334', 'VXNlcm5hbWU6'],
      ['235', 'ok'],
      ['250', 'ok'],
      ['250', 'ok'],
      ['354', 'go ahead'],
      ['250', 'queued'],
      ['220', 'ready'],
    ]);
  });

  it('SMTP: same events when any message is split at any byte through snapshot/JSON/restore', () => {
    everySplit(conn(2525), SMTP);
  });

  const IMAP: Msg[] = [
    ['toClient', '* OK IMAP4rev1 ready\r\n'],
    ['toServer', 'a1 LOGIN {5}\r\nalice {8}\r\nsecret!!\r\n'],
    ['toClient', 'a1 OK LOGIN completed\r\n'],
    ['toServer', 'a2 FETCH 1 BODY[]\r\n'],
    ['toClient', '* 1 FETCH (BODY[] {12}\r\na2 NO fake\r\n)\r\na2 OK done\r\n'],
    ['toServer', 'a3 STARTTLS\r\n'],
    ['toClient', 'a3 OK begin TLS\r\n'],
    ['toServer', 'a4 LOGIN x y\r\n'],
  ];

  it('IMAP: literals are counted not parsed, server literals skipped, STARTTLS stops', () => {
    const ev = brief(feed(conn(1143), IMAP)) as [string, Record<string, unknown>][];
    expect(
      ev.map(([k, x]) => [k, x.tag, k === 'command' ? x.command : x.status, k === 'command' ? x.argument : x.text]),
    ).toEqual([
      ['reply', '*', 'OK', 'IMAP4rev1 ready'],
      ['command', 'a1', 'LOGIN', '{5} {8}'],
      ['reply', 'a1', 'OK', 'LOGIN completed'],
      ['command', 'a2', 'FETCH', '1 BODY[]'],
      ['reply', '*', '1', 'FETCH (BODY[] {12}'],
      ['reply', 'a2', 'OK', 'done'],
      ['command', 'a3', 'STARTTLS', ''],
      ['reply', 'a3', 'OK', 'begin TLS'],
    ]);
    // Small literals' contents travel with the command (a LOGIN's user name and password).
    expect(ev.filter(([k]) => k === 'command').map(([, x]) => x.literals)).toEqual([
      ['alice', 'secret!!'],
      undefined,
      undefined,
    ]);
    everySplit(conn(1143), IMAP);
  });

  const POP3: Msg[] = [
    ['toClient', '+OK ready\r\n'],
    ['toServer', 'USER bob\r\nPASS pw\r\nRETR 1\r\n'],
    ['toClient', '+OK\r\n+OK logged in\r\n+OK 20 octets\r\n-ERR inside message\r\n..\r\n.\r\n'],
    ['toServer', 'STLS\r\n'],
    ['toClient', '+OK begin TLS\r\n'],
    ['toServer', 'USER hidden\r\n'],
  ];

  it('POP3: pipelined commands, message data skipped, STLS stops', () => {
    const ev = brief(feed(conn(1110), POP3)) as [string, Record<string, unknown>][];
    expect(ev.map(([k, x]) => (k === 'command' ? [x.command, x.argument] : [x.status, x.text]))).toEqual([
      ['+OK', 'ready'],
      ['USER', 'bob'],
      ['PASS', 'pw'],
      ['RETR', '1'],
      ['+OK', ''],
      ['+OK', 'logged in'],
      ['+OK', '20 octets'],
      ['STLS', ''],
      ['+OK', 'begin TLS'],
    ]);
    everySplit(conn(1110), POP3);
  });

  const HTTP: Msg[] = [
    [
      'toServer',
      'GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nuser\r\n5;x=1\r\n=bob&\r\n0\r\nX-T: 1\r\n\r\nHEAD /c HTTP/1.1\r\n\r\n',
    ],
    [
      'toClient',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    ],
    ['toClient', 'HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n'],
    ['toServer', 'PUT /d HTTP/1.0\r\nContent-Length: 3\r\n\r\nxyz'],
    ['toClient', 'HTTP/1.0 204 No Content\r\n\r\nHTTP/1.0 200 OK\r\n\r\nuntil close'],
  ];

  it('HTTP: pipelining, chunked bodies with trailers, 1xx, HEAD, close-delimited bodies', () => {
    const ev = brief(feed(conn(8000), HTTP)) as [string, Record<string, unknown>][];
    expect(
      ev.map(([k, x]) =>
        k === 'httpRequest'
          ? [x.frame, x.method, x.target, x.host, x.body, x.bodyLength]
          : [x.frame, x.status, x.reason, x.bodyLength],
      ),
    ).toEqual([
      [1, 'GET', '/a', 'h', '', 0],
      [1, 'POST', '/b', 'h', 'user=bob&', 9],
      [1, 'HEAD', '/c', undefined, '', 0],
      [2, 200, 'OK', 5],
      [2, 100, 'Continue', 0],
      [2, 201, 'Created', 3],
      [3, 200, 'OK', 0], // HEAD response: Content-Length without a body
      [4, 'PUT', '/d', undefined, 'xyz', 3],
      [5, 204, 'No Content', 0],
      [5, 200, 'OK', 11], // body ended by the connection close (close event frame)
    ]);
    everySplit(conn(8000), HTTP);
  });

  it('HTTP bytes on port 443 and TLS on port 80 are recognised by content; junk on 80 is dropped quietly', () => {
    const ev = brief(feed(conn(443), [['toServer', 'GET / HTTP/1.1\r\n\r\n']])) as [string, Record<string, unknown>][];
    expect(ev.map(([k, x]) => [k, x.target])).toEqual([['httpRequest', '/']]);
    const junk = feed(conn(80), [['toServer', Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 10, 13, 10])]]);
    expect(junk).toEqual([]);
  });

  it('Telnet: IAC negotiation, subnegotiation and IAC IAC across event boundaries', () => {
    const msgs: Msg[] = [
      ['toClient', Buffer.from([255, 253, 24, 255, 250, 24, 1, 255, 240, 0x6c, 0x6f, 0x67, 255, 255, 0x21])],
      ['toServer', Buffer.from([255, 251, 24, 0x72, 0x6f, 0x6f, 0x74, 13, 10])],
    ];
    const text = (ev: RecordedEvent[], dir: Direction): string =>
      ev
        .filter(([, e]) => (e as { dir: string }).dir === dir)
        .map(([, e]) => (e as { text: string }).text)
        .join('');
    const whole = feed(conn(23), msgs);
    expect(text(whole, 'toClient')).toBe('log\xff!');
    expect(text(whole, 'toServer')).toBe('root\r\n');
    msgs.forEach(([, m], at) => {
      for (let cut = 0; cut <= m.length; cut++) {
        const ev = feed(conn(23), msgs, { at, cut });
        expect([text(ev, 'toClient'), text(ev, 'toServer')]).toEqual(['log\xff!', 'root\r\n']);
      }
    });
  });

  it('DNS over TCP: 2-byte framing across events and two messages in one event', () => {
    const q = Buffer.from('abcd01000001000000000000076578616d706c6503636f6d0000010001', 'hex');
    const framed = Buffer.concat([Buffer.from([0, q.length]), q]);
    const msgs: Msg[] = [['toServer', Buffer.concat([framed, framed])]];
    const ev = feed(conn(53), msgs);
    expect(
      ev.map(([k, e]) => [k, (e as { id: number }).id, (e as { questions: { name: string }[] }).questions[0].name]),
    ).toEqual([
      ['dns', 0xabcd, 'example.com'],
      ['dns', 0xabcd, 'example.com'],
    ]);
    everySplit(conn(53), msgs);
  });
});
