import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readCapture } from '../capture/read-capture';
import { DecodedPacket } from '../decode/decoded-packet';
import { PacketDecoder } from '../decode/packet.decoder';
import type { PacketRecord } from '../capture/packet-record';
import type {
  DnsMessageEvent,
  LineCommandEvent,
  LineReplyEvent,
  TelnetTextEvent,
  TlsCertificateEvent,
  TlsClientHelloEvent,
  HttpRequestEvent,
} from '../events';
import { TcpReassembler } from '../reassembly/tcp-reassembler';
import { ALL_PROTOCOLS, parseCapture, recordingHandlers, type RecordedEvent } from './capture-harness';
import { ProtocolDispatcher } from './protocol-dispatcher';

const PCAPS = '/work/shared/pcaps';
const have = existsSync(PCAPS);
const d = have ? describe : describe.skip;

function of<T>(events: RecordedEvent[], kind: string): T[] {
  return events.filter((e) => e[0] === kind).map((e) => e[1] as T);
}

d('protocol parsers on real captures', () => {
  it('FTP login: USER alice / PASS / 230 on the control connection', async () => {
    const { events } = await parseCapture(`${PCAPS}/attacks/ftp-login.pcap`);
    const cmds = of<LineCommandEvent>(events, 'command').map((e) => [e.frame, e.command, e.argument]);
    expect(cmds).toEqual([
      [6, 'USER', 'alice'],
      [9, 'PASS', 'Tr0ub4dor&3'],
      [11, 'PWD', ''],
      [13, 'EPSV', ''],
      [18, 'TYPE', 'A'],
      [20, 'LIST', ''],
      [29, 'QUIT', ''],
    ]);
    const replies = of<LineReplyEvent>(events, 'reply').map((e) => e.status);
    expect(replies).toEqual(['220', '331', '230', '257', '229', '200', '125', '226', '221']);
    expect(of<LineCommandEvent>(events, 'command')[0].conn.id).toBe('10.231.0.10:53206-10.231.0.20:21#1');
  });

  it('HTTP Basic auth request and form POST with its body', async () => {
    const { events } = await parseCapture(`${PCAPS}/attacks/http-basic-and-form.pcap`);
    const reqs = of<HttpRequestEvent>(events, 'httpRequest');
    expect(reqs.map((r) => [r.frame, r.method, r.target, r.host, r.body.toString(), r.bodyLength])).toEqual([
      [4, 'GET', '/admin', '10.231.0.20', '', 0],
      [16, 'POST', '/login', '10.231.0.20', 'username=carol&password=correcthorse', 36],
    ]);
    expect(reqs[0].headers.find((h) => h.name === 'Authorization')?.value).toBe('Basic Ym9iOmh1bnRlcjI=');
    expect(of<{ status: number; frame: number }>(events, 'httpResponse').map((r) => [r.frame, r.status])).toEqual([
      [8, 404],
      [20, 501],
    ]);
  });

  it('TLS certificate change: two self-signed bank.test certs whose SHA-256 match tshark', async () => {
    const file = `${PCAPS}/attacks/tls-cert-change-a.pcap`;
    const { events } = await parseCapture(file);
    const certs = of<TlsCertificateEvent>(events, 'certificate');
    expect(certs.map((c) => [c.frame, c.chain.length, c.unparsable])).toEqual([
      [6, 1, 0],
      [23, 1, 0],
    ]);
    const c0 = certs[0].chain[0];
    expect(c0).toEqual({
      sha256: '83c69a28ec64263439b06a4646841bd690a5b21faf60b546e17efa1473c4aaeb',
      subject: 'CN=bank.test',
      issuer: 'CN=bank.test',
      san: ['bank.test'],
      validFrom: '2026-11-24T00:19:12.000Z',
      validTo: '2026-12-24T00:19:12.000Z',
      serialNumber: '3C787BCEDC1B9DFA48C48665BC32098EEC326641',
      keyType: 'rsa',
      keyBits: 2048,
      signatureAlgorithm: 'sha256WithRSAEncryption',
      selfSigned: true,
    });
    expect(certs[1].chain[0].sha256).toBe('87ec43e09c970ef478aa6d8c7ac998698357dcc053e21b66c8dde303e044e88c');
    expect(of<TlsClientHelloEvent>(events, 'clientHello').map((h) => h.sni)).toEqual(['bank.test', 'bank.test']);
    // Same hashes as tshark's view of the certificates.
    let tsharkHex = '';
    try {
      tsharkHex = execFileSync(
        'tshark',
        ['-r', file, '-Y', 'tls.handshake.certificate', '-T', 'fields', '-e', 'tls.handshake.certificate'],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
    } catch {
      return; // tshark not installed: the literal hashes above still hold
    }
    const hashes = tsharkHex
      .trim()
      .split('\n')
      .map((h) =>
        createHash('sha256')
          .update(Buffer.from(h.split(',')[0].replace(/:/g, ''), 'hex'))
          .digest('hex'),
      );
    expect(hashes).toEqual(certs.map((c) => c.chain[0].sha256));
  });

  it.each([
    ['tls__tls-client-hello-frag-01__dump_mtu300.pcap', ['www.google.com'], 6],
    ['tls__tls-certs-alert__input.pcap', ['example.com'], 4],
    ['tls__tls-fingerprint-alert__input.pcap', ['www.google.com'], 4],
    ['tls__tls13-draft28__tls13_draft28.pcap', ['localhost', 'localhost'], 4],
  ])('%s: SNI %j (ClientHello completed in frame %d)', async (name, snis, firstFrame) => {
    const { events } = await parseCapture(`${PCAPS}/public/${name}`);
    const hellos = of<TlsClientHelloEvent>(events, 'clientHello');
    expect(hellos.map((h) => h.sni)).toEqual(snis);
    expect(hellos[0].frame).toBe(firstFrame);
  });

  it('ClientHello split over several 300-byte-MTU segments: fields and certificate chain', async () => {
    const { events } = await parseCapture(`${PCAPS}/public/tls__tls-client-hello-frag-01__dump_mtu300.pcap`);
    const h = of<TlsClientHelloEvent>(events, 'clientHello')[0];
    expect(h.version).toBe(0x0303);
    expect(h.cipherSuites.slice(0, 4)).toEqual([0xc030, 0xc02c, 0xc028, 0xc024]);
    const certs = of<TlsCertificateEvent>(events, 'certificate');
    expect(certs.length).toBe(1);
    expect(certs[0].frame).toBe(20);
    expect(certs[0].chain[0].sha256).toBe('e13c452d55b9c0d1c3baca287b42fbaafbdcad6e178dbe1950a18a46eee875ce');
    expect(certs[0].chain[0].subject).toBe('CN=www.google.com');
    expect(certs[0].chain[0].keyType).toBe('ec');
    expect(certs[0].chain[0].keyBits).toBe(256);
    expect(of<{ alpn?: string }>(events, 'serverHello')[0].alpn).toBe('h2');
  });

  it('TLS 1.3 draft: supported_versions in ClientHello and ServerHello', async () => {
    const { events } = await parseCapture(`${PCAPS}/public/tls__tls13-draft28__tls13_draft28.pcap`);
    const h = of<TlsClientHelloEvent>(events, 'clientHello')[0];
    expect(h.supportedVersions).toEqual([0x7f1c, 0x0303, 0x0302, 0x0301]);
    expect(of<{ selectedVersion: number }>(events, 'serverHello').map((s) => s.selectedVersion)).toEqual([
      0x7f1c, 0x7f1c,
    ]);
    expect(h.conn.client).toEqual({ ip: '::1', port: 39632 });
  });

  it('DNS over TCP: query and response for www.google.com', async () => {
    const { events } = await parseCapture(`${PCAPS}/public/dns__dns-tcp-www-google-com__dns.pcap`);
    const dns = of<DnsMessageEvent>(events, 'dns');
    expect(
      dns.map((m) => [m.frame, m.transport, m.id, m.isResponse, m.questions[0].name, m.questions[0].type]),
    ).toEqual([
      [4, 'tcp', 24440, false, 'www.google.com', 'A'],
      [6, 'tcp', 24440, true, 'www.google.com', 'A'],
    ]);
    expect(dns[1].src).toEqual({ ip: '8.8.4.4', port: 53 });
    expect(dns[1].answers.map((a) => [a.type, a.class])).toEqual(dns[1].answers.map(() => ['A', 'IN']));
    expect(dns[1].answers.length).toBeGreaterThan(0);
  });

  it('POP3: USER/PASS login and multi-line LIST/UIDL/TOP data not taken as replies', async () => {
    const { events } = await parseCapture(`${PCAPS}/public/pop3__input.pcap`);
    const cmds = of<LineCommandEvent>(events, 'command');
    expect(cmds.slice(0, 4).map((c) => [c.frame, c.command, c.argument])).toEqual([
      [6, 'USER', 'moises.nunez@ingenierianumar.com'],
      [10, 'PASS', 'moises.nunez'],
      [13, 'STAT', ''],
      [16, 'LIST', ''],
    ]);
    const replies = of<LineReplyEvent>(events, 'reply');
    expect(replies.every((r) => r.status === '+OK' || r.status === '-ERR')).toBe(true);
    expect(replies.length).toBe(cmds.length + 1); // + the greeting
  });

  it('IMAP: tagged LOGIN and its tagged OK', async () => {
    const { events } = await parseCapture(`${PCAPS}/public/imap-detection__input.pcap`);
    const login = of<LineCommandEvent>(events, 'command').find((c) => c.command === 'LOGIN');
    expect(login && [login.frame, login.tag, login.argument]).toEqual([8, 'a0001', '"neulingern" "XXXXXX"']);
    const ok = of<LineReplyEvent>(events, 'reply').find((r) => r.tag === 'a0001');
    expect(ok && [ok.frame, ok.status, ok.text]).toEqual([9, 'OK', 'LOGIN completed.']);
  });

  it('Telnet: option negotiation stripped, login name and password visible as text', async () => {
    const { events } = await parseCapture(`${PCAPS}/public/telnet__telnet-01__telnet.pcap`);
    const t = of<TelnetTextEvent>(events, 'telnet');
    const toServer = t.filter((e) => e.dir === 'toServer').map((e) => e.text);
    expect(toServer).toEqual([
      'fake\r\n',
      'user\r\n',
      '/sbin/ping www.yahoo.com\r\n',
      'ls\r\n',
      'ls -a\r\n',
      'exit\r\n',
    ]);
    expect(
      t
        .filter((e) => e.dir === 'toClient')
        .map((e) => e.text)
        .slice(0, 3),
    ).toEqual(['\r\nOpenBSD/i386 (oof) (ttyp2)\r\n\r\n', 'login: ', 'Password:']);
    expect(t.some((e) => e.text.includes('\xff'))).toBe(false);
  });

  // Chunk parity: cut the capture at every packet boundary, carry reassembler + dispatcher state
  // through JSON, and compare with the single pass.
  it.each([
    'attacks/ftp-login.pcap',
    'attacks/http-basic-and-form.pcap',
    'attacks/tls-cert-change-a.pcap',
    'public/tls__tls-client-hello-frag-01__dump_mtu300.pcap',
    'public/dns__dns-tcp-www-google-com__dns.pcap',
    'public/telnet__telnet-01__telnet.pcap',
  ])('%s: split at every packet boundary gives the single-pass events', async (name) => {
    const packets: PacketRecord[] = [];
    await readCapture(`${PCAPS}/${name}`, {
      onPacket: (r) =>
        packets.push({ ...r, buf: Buffer.from(r.buf.subarray(r.offset, r.offset + r.capLen)), offset: 0 }),
    });
    const run = (from: number, to: number, state: string | null, out: RecordedEvent[]): string => {
      const dispatcher = new ProtocolDispatcher(recordingHandlers(out), ALL_PROTOCOLS);
      const reassembler = new TcpReassembler(dispatcher);
      const decoder = new PacketDecoder();
      if (state !== null) {
        const s = JSON.parse(state);
        decoder.restore(s.dec);
        reassembler.restore(s.r);
        dispatcher.restore(s.d);
      }
      const p = new DecodedPacket();
      for (let i = from; i < to; i++) {
        decoder.decode(packets[i], p);
        if (p.ipProto === 6) reassembler.onSegment(p);
        else if (p.ipProto === 17) dispatcher.onUdp(p);
      }
      if (to === packets.length) reassembler.flush(packets[to - 1].tsSec, packets.length);
      return JSON.stringify({ dec: decoder.snapshot(), r: reassembler.snapshot(), d: dispatcher.snapshot() });
    };
    const whole: RecordedEvent[] = [];
    run(0, packets.length, null, whole);
    const norm = (ev: RecordedEvent[]): string => JSON.stringify(ev);
    for (let cut = 1; cut < packets.length; cut++) {
      const parts: RecordedEvent[] = [];
      const st = run(0, cut, null, parts);
      run(cut, packets.length, st, parts);
      expect(norm(parts)).toBe(norm(whole));
    }
    expect(whole.length).toBeGreaterThan(1);
  });
});
