import { brief, conn, feedRandomMessages, feed, sameAtEverySplit, type Msg } from '../../../test/support/dispatch-feed';
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
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toRecord } from '../../../test/support/frame-builder';
import { hasTool } from '../../../test/support/paths';
import { TcpConversation, Timeline, host, timelinePcap } from '../../../test/support/traffic';
import { DecodedPacket } from '../decode/decoded-packet';
import { PacketDecoder } from '../decode/packet.decoder';
import type { AppProtocolEvent } from '../events';
import { Pipeline } from '../pipeline';
import { TcpReassembler } from '../reassembly/tcp-reassembler';
import { ALL_PROTOCOLS, recordingHandlers, type RecordedEvent } from './capture-harness';
import { ProtocolDispatcher, type ProtocolHandlers } from './protocol-dispatcher';

function runTimeline(t: Timeline, h: ProtocolHandlers): void {
  const dispatcher = new ProtocolDispatcher(h, ALL_PROTOCOLS);
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
}

const SMB1: Msg[] = [
  ['toServer', smb1NegotiateRequest()],
  ['toClient', smb1NegotiateResponse(3)],
  ['toServer', smb1SessionSetup()],
  ['toServer', smb1SessionSetup()],
];

describe('SMB parser', () => {
  it('SMBv1 negotiate: dialects offered and the one chosen; later messages once per direction/version', () => {
    const ev = brief(feed(conn(445), SMB1));
    expect(ev).toEqual([
      ['smb', { frame: 1, dir: 'toServer', version: 1, command: 0x72, isResponse: false, dialects: SMB1_DIALECTS }],
      ['smb', { frame: 2, dir: 'toClient', version: 1, command: 0x72, isResponse: true, dialect: 'NT LM 0.12' }],
      ['smb', { frame: 3, dir: 'toServer', version: 1, command: 0x73, isResponse: false }],
    ]);
  });

  it('a session setup seen without the negotiate is reported once', () => {
    expect(brief(feed(conn(445), SMB1.slice(2)))).toEqual([
      ['smb', { frame: 1, dir: 'toServer', version: 1, command: 0x73, isResponse: false }],
    ]);
  });

  it('SMB1 negotiate offering SMB2 answered in SMB2 (the normal upgrade), then SMB2 traffic with a big READ skipped by length', () => {
    const msgs: Msg[] = [
      ['toServer', smb1NegotiateRequest(['NT LM 0.12', 'SMB 2.002', 'SMB 2.???'])],
      ['toClient', smb2NegotiateResponse(0x02ff)],
      ['toServer', smb2NegotiateRequest()],
      ['toClient', smb2NegotiateResponse(0x0311)],
      ['toServer', smb2Message(8, false)],
      ['toClient', smb2Message(8, true, 70000)],
      ['toServer', smb2Message(6, false)],
    ];
    const ev = brief(feed(conn(445), msgs));
    expect(ev.map(([, e]) => [e.frame, e.version, e.command, e.dialects ?? e.dialect ?? null])).toEqual([
      [1, 1, 0x72, ['NT LM 0.12', 'SMB 2.002', 'SMB 2.???']],
      [2, 2, 0, '0x02ff'],
      [3, 2, 0, ['0x0202', '0x0210', '0x0300', '0x0302', '0x0311']],
      [4, 2, 0, '0x0311'],
      [5, 2, 8, null],
      [6, 2, 8, null],
    ]);
    expect(JSON.parse(sameAtEverySplit(conn(445), msgs.slice(0, 5)))).toEqual(
      JSON.parse(JSON.stringify(ev.slice(0, 5))),
    );
  });

  it('NetBIOS session request on 139 before SMB; recognised by content on another port', () => {
    const req = Buffer.concat([Buffer.from([0x81, 0, 0, 4]), Buffer.from('ABCD')]);
    const ev = brief(feed(conn(139), [['toServer', req], ['toClient', Buffer.from([0x82, 0, 0, 0])], ...SMB1]));
    expect(ev.map(([, e]) => e.frame)).toEqual([3, 4, 5]);
    expect(brief(feed(conn(8445), SMB1)).length).toBe(3);
  });

  it('garbage and truncations: no exception, no invented messages', () => {
    const m = smb1NegotiateRequest();
    for (let n = 1; n < m.length; n++) expect(() => feed(conn(445), [['toServer', m.subarray(0, n)]])).not.toThrow();
    expect(feed(conn(445), [['toServer', Buffer.from([0, 0, 0, 5, 0xff, 0x53, 0x4d, 0x42, 0x72])]])).toEqual([]);
    expect(() =>
      feedRandomMessages(
        445,
        3,
        300,
        (i) => 8 + (i % 120),
        (b) => b.set([0, 0, 0, b.length - 4, 0xff, 0x53, 0x4d, 0x42]),
      ),
    ).not.toThrow();
  });
});

describe('VNC (RFB) handshake', () => {
  it('3.8: offered types and the client choice; events at any split', () => {
    const msgs: Msg[] = [
      ['toClient', rfbVersion('003.008')],
      ['toServer', rfbVersion('003.008')],
      ['toClient', rfbTypes(2, 19)],
      ['toServer', Buffer.from([2])],
      ['toClient', Buffer.alloc(16, 7)],
    ];
    const expected = [
      ['vnc', { frame: 4, serverVersion: '003.008', clientVersion: '003.008', offered: [2, 19], chosen: 2 }],
    ];
    expect(brief(feed(conn(5900), msgs))).toEqual(expected);
    expect(JSON.parse(sameAtEverySplit(conn(5901), msgs))).toEqual(expected);
  });

  it('3.3: the server imposes the type (None); VeNCrypt chosen is reported as such', () => {
    expect(
      brief(
        feed(conn(5900), [
          ['toClient', rfbVersion('003.003')],
          ['toServer', rfbVersion('003.003')],
          ['toClient', rfb33Type(1)],
        ]),
      ),
    ).toEqual([['vnc', { frame: 3, serverVersion: '003.003', clientVersion: '003.003', offered: [1], chosen: 1 }]]);
    const v = brief(
      feed(conn(5900), [
        ['toClient', rfbVersion('003.008')],
        ['toServer', rfbVersion('003.008')],
        ['toClient', rfbTypes(19)],
        ['toServer', Buffer.from([19])],
      ]),
    );
    expect(v[0][1]).toMatchObject({ offered: [19], chosen: 19 });
  });

  it('a handshake cut before the choice is reported at close with what was offered; a non-RFB banner is not VNC', () => {
    expect(
      brief(
        feed(conn(5900), [
          ['toClient', rfbVersion('003.008')],
          ['toServer', rfbVersion('003.008')],
          ['toClient', rfbTypes(1, 2)],
        ]),
      ),
    ).toEqual([['vnc', { frame: 4, serverVersion: '003.008', clientVersion: '003.008', offered: [1, 2] }]]);
    expect(feed(conn(5900), [['toClient', Buffer.from('RFB 0xx.yyy\nzzzz')]])).toEqual([]);
    expect(feed(conn(5900), [['toClient', Buffer.from('SSH-2.0-OpenSSH\r\n')]])).toEqual([]);
  });
});

describe('r-services handshakes', () => {
  it('rlogin, rsh and rexec fields by port; rexec carries the password', () => {
    expect(
      brief(
        feed(conn(513), [
          ['toServer', rloginHandshake('alice', 'root')],
          ['toClient', Buffer.from([0])],
        ]),
      ),
    ).toEqual([
      ['rshell', { frame: 1, protocol: 'rlogin', user: 'root', clientUser: 'alice', terminal: 'xterm/38400' }],
    ]);
    // rsh writes the stderr port first and the rest after connecting the stderr channel.
    const rsh: Msg[] = [
      ['toServer', Buffer.from('1022\0', 'latin1')],
      ['toServer', rshHandshake('1022', 'bob', 'backup', 'tar cf - /etc').subarray(5)],
    ];
    expect(JSON.parse(sameAtEverySplit(conn(514), rsh))).toEqual([
      ['rshell', { frame: 2, protocol: 'rsh', user: 'backup', clientUser: 'bob', command: 'tar cf - /etc' }],
    ]);
    expect(brief(feed(conn(512), [['toServer', rexecHandshake('0', 'carol', 'pw!x', 'id')]]))).toEqual([
      ['rshell', { frame: 1, protocol: 'rexec', user: 'carol', password: 'pw!x', command: 'id' }],
    ]);
  });

  it('other content on those ports, an incomplete handshake and binary junk give nothing', () => {
    expect(
      feed(conn(513), [['toServer', Buffer.from('GET / HTTP/1.0\r\n\r\n')]]).filter((e) => e[0] === 'rshell'),
    ).toEqual([]);
    expect(feed(conn(514), [['toServer', Buffer.from('1022\0bob\0back', 'latin1')]])).toEqual([]);
    expect(feed(conn(512), [['toServer', Buffer.from([0x31, 0x00, 0x01, 0x02, 0x00])]])).toEqual([]);
    // The same bytes on an unrelated port are not an r-service.
    expect(feed(conn(2000), [['toServer', rexecHandshake('0', 'carol', 'pw', 'id')]])).toEqual([]);
  });
});

describe('AppProtocolEvent', () => {
  it('through the Pipeline: an observer of onAppProtocol alone gets every recognised connection, no parser needed', () => {
    const t = new Timeline();
    const a = host('10.1.0.1', 1);
    const b = host('10.1.0.2', 2);
    const web = new TcpConversation(t, a, b, 40000, 8081).open();
    web.c('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const smb = new TcpConversation(t, a, b, 40001, 445, 1).open();
    smb.c(smb2NegotiateRequest());
    const junk = new TcpConversation(t, a, b, 40002, 9999, 2).open();
    junk.c(Buffer.alloc(300, 7));
    const seen: AppProtocolEvent[] = [];
    const p = new Pipeline({ captureId: 't', detectors: [], observers: [{ onAppProtocol: (e) => seen.push(e) }] });
    t.frames.forEach((f, i) => p.push(toRecord(f.data, { time: f.time, frame: i + 1 })));
    p.finish();
    expect(seen.map((e) => [e.conn.server.port, e.protocol, e.frame])).toEqual([
      [8081, 'http', 4],
      [445, 'smb', 9],
    ]);
  });

  it('once per connection, naming the protocol the sniffer settled on', () => {
    const seen: AppProtocolEvent[] = [];
    feed(conn(8445), SMB1, undefined, { onAppProtocol: (e) => seen.push(e) });
    feed(conn(5900), [['toClient', rfbVersion('003.008')]], undefined, { onAppProtocol: (e) => seen.push(e) });
    feed(conn(2000), [['toServer', Buffer.from([1, 2, 3])]], undefined, { onAppProtocol: (e) => seen.push(e) });
    expect(seen.map((e) => [e.conn.server.port, e.protocol, e.frame])).toEqual([
      [8445, 'smb', 1],
      [5900, 'vnc', 1],
    ]);
  });
});

(hasTool('tshark') ? describe : describe.skip)('SMB, VNC and rexec in a synthesised capture agree with tshark', () => {
  it('dialects, RFB version, security types, rexec user', () => {
    const t = new Timeline();
    const a = host('10.1.0.1', 1);
    const b = host('10.1.0.2', 2);
    const s = new TcpConversation(t, a, b, 40000, 445).open();
    s.c(smb1NegotiateRequest());
    s.s(smb1NegotiateResponse(3));
    s.c(smb2NegotiateRequest());
    s.s(smb2NegotiateResponse(0x311));
    s.close();
    const v = new TcpConversation(t, a, b, 40001, 5900, 1).open();
    v.s(rfbVersion('003.008'));
    v.c(rfbVersion('003.008'));
    v.s(rfbTypes(2, 19));
    v.c(Buffer.from([2]));
    v.close();
    const r = new TcpConversation(t, a, b, 1022, 512, 2).open();
    r.c(rexecHandshake('0', 'carol', 'pw', 'id'));
    r.close();
    const file = join(mkdtempSync(join(tmpdir(), 'nw-legacy-')), 'legacy.pcap');
    writeFileSync(file, timelinePcap(t));
    const fields = [
      'smb.dialect',
      'smb.dialect.index',
      'smb2.dialect',
      'exec.username',
      'vnc.server_proto_ver',
      'vnc.security_type',
      'vnc.client_security_type',
    ];
    const out = execFileSync(
      'tshark',
      ['-r', file, '-T', 'fields', '-e', 'frame.number', ...fields.flatMap((f) => ['-e', f]), '-E', 'separator=|'],
      { encoding: 'utf8' },
    );
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    const events: RecordedEvent[] = [];
    runTimeline(t, recordingHandlers(events));
    // SMB and rexec: one tshark row per message we report, same values.
    const theirs = rows.filter((r) => r.slice(1, 5).some((v) => v !== '')).map((r) => r.slice(0, 5).join('|'));
    const mine = events
      .filter(([k]) => k !== 'vnc')
      .map(([k, e]) => {
        const x = e as Record<string, unknown>;
        const row: unknown[] = [x.frame, '', '', '', ''];
        if (k === 'smb' && x.version === 1) {
          if (x.dialects) row[1] = (x.dialects as string[]).join(',');
          else row[2] = SMB1_DIALECTS.indexOf(x.dialect as string);
        }
        if (k === 'smb' && x.version === 2) row[3] = x.dialects ? (x.dialects as string[]).join(',') : x.dialect;
        if (k === 'rshell') row[4] = x.user;
        return row.join('|');
      });
    expect(mine).toEqual(theirs);
    // VNC: tshark spreads the handshake over frames; the same version, offered list and choice.
    const vnc = events.find(([k]) => k === 'vnc')?.[1] as Record<string, unknown>;
    const col = (i: number) => rows.map((r) => r[i]).filter((v) => v !== '');
    expect(col(5)).toEqual([vnc.serverVersion]);
    expect(col(6).join(',')).toBe((vnc.offered as number[]).join(','));
    expect(col(7)).toEqual([String(vnc.chosen)]);
  });
});
