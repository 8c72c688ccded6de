import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SHARED_PCAPS, capturesIn, hasTool } from '../../../test/support/paths';
import { toRecord } from '../../../test/support/frame-builder';
import { TcpConversation, Timeline, host, run as runTimeline, type Host } from '../../../test/support/traffic';
import { analyzeCapture } from '../analyze-capture';
import { CaptureParser } from '../capture/capture-parser';
import type { PacketRecord } from '../capture/packet-record';
import { ConfigError, resolveConfig } from '../config';
import type { Finding } from '../finding';
import { Pipeline, type PipelineState } from '../pipeline';
import { CleartextHttpDetector, normaliseHost } from './cleartext-http.detector';
import { createDetectors } from './registry';

const ID = 'cleartext-http';
const pcap = (p: string) => join(SHARED_PCAPS, p);

async function analyze(file: string, override?: object, detectors = [ID]): Promise<Finding[]> {
  const a = await analyzeCapture(file, file, { config: resolveConfig(override), detectors });
  expect(a.errors).toEqual([]);
  return a.findings;
}

function tshark(file: string, filter: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
}

/**
 * tshark's view of a capture's HTTP requests grouped the way the detector summarises them:
 * (Host without port, lowercased — else the server IP — and server ip:port) → requests,
 * methods, distinct paths without query, request frames.
 */
function tsharkSummaries(
  file: string,
): Map<string, { requests: number; methods: Record<string, number>; paths: Set<string>; frames: number[] }> {
  const rows = tshark(file, 'http.request', [
    'frame.number',
    'http.host',
    'ip.dst',
    'ipv6.dst',
    'tcp.dstport',
    'http.request.method',
    'http.request.uri',
  ]);
  const out = new Map<
    string,
    { requests: number; methods: Record<string, number>; paths: Set<string>; frames: number[] }
  >();
  for (const [frame, hostHdr, ip4, ip6, port, method, uri] of rows) {
    const ip = ip4 || ip6;
    const name = hostHdr.toLowerCase().replace(/:\d+$/, '');
    const k = `${name || ip}|${ip}:${port}`;
    const s = out.get(k) ?? { requests: 0, methods: {}, paths: new Set<string>(), frames: [] };
    s.requests++;
    s.methods[method] = (s.methods[method] ?? 0) + 1;
    s.paths.add(uri.replace(/[?#].*$/, ''));
    s.frames.push(Number(frame));
    out.set(k, s);
  }
  return out;
}

const web = (f: Finding[]) => f.filter((x) => x.type === 'unencrypted-web');

describe('cleartext-http on the recorded attack captures', () => {
  it('clean-web: exactly one info finding for the web server, with the requests, path and method the capture has', async () => {
    const f = await analyze(pcap('attacks/clean-web.pcap'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      detector: ID,
      type: 'unencrypted-web',
      severity: 'info',
      mitre: 'T1040',
      count: 3,
      title: 'Unencrypted web traffic to 10.231.0.20 (10.231.0.20:80)',
      src: { ip: '10.231.0.10' },
      dst: { ip: '10.231.0.20', port: 80 },
      evidence: {
        frames: [7, 23, 37],
        host: '10.231.0.20',
        server: '10.231.0.20:80',
        requests: 3,
        methods: { GET: 3 },
        distinctPaths: 1,
        pathsCapped: false,
        samplePaths: ['/'],
        clients: ['10.231.0.10'],
        clientsCapped: false,
        redirectsToHttps: 0,
      },
    });
    expect(f[0].evidence).not.toHaveProperty('indicators');
    if (hasTool('tshark')) {
      // The same facts from tshark: three GETs of / to 10.231.0.20:80 in frames 7, 23, 37.
      const t = tsharkSummaries(pcap('attacks/clean-web.pcap'));
      expect([...t.keys()]).toEqual(['10.231.0.20|10.231.0.20:80']);
      const s = t.get('10.231.0.20|10.231.0.20:80')!;
      expect([s.requests, s.methods, [...s.paths], s.frames]).toEqual([3, { GET: 3 }, ['/'], f[0].evidence.frames]);
    }
  });

  it('http-basic-and-form: medium, with the Authorization scheme and the password field name — never a value', async () => {
    const f = await analyze(pcap('attacks/http-basic-and-form.pcap'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      type: 'unencrypted-web',
      severity: 'medium',
      count: 2,
      title: 'Credentials or session material over unencrypted HTTP to 10.231.0.20 (10.231.0.20:80)',
      dst: { ip: '10.231.0.20', port: 80 },
      evidence: {
        frames: [4, 16],
        methods: { GET: 1, POST: 1 },
        distinctPaths: 2,
        samplePaths: ['/admin', '/login'],
        indicators: { authorization: ['Basic'], passwordFields: ['password (urlencoded)'] },
        sensitiveFrames: [4, 16],
      },
    });
    expect(Object.keys(f[0].evidence.indicators as object).sort()).toEqual(['authorization', 'passwordFields']);
  });

  it('http-basic-and-form: the secrets appear neither in the findings nor in the detector state after any packet', () => {
    const secrets = ['hunter2', 'correcthorse', Buffer.from('bob:hunter2').toString('base64'), 'bob:hunter2'];
    const config = resolveConfig();
    const detectors = createDetectors(config, [ID]);
    const p = new Pipeline({ captureId: 'leak', config, detectors });
    const states: string[] = [];
    const parser = new CaptureParser({
      source: 'http-basic-and-form.pcap',
      onPacket: (r: PacketRecord) => {
        p.push(r);
        states.push(JSON.stringify(detectors[0].snapshot()));
      },
    });
    parser.write(readFileSync(pcap('attacks/http-basic-and-form.pcap')));
    parser.end();
    p.finish();
    const findings = JSON.stringify(p.findings());
    expect(states).toHaveLength(24);
    expect(findings).toContain('password (urlencoded)'); // the detector did see the form
    for (const s of secrets) {
      expect(findings).not.toContain(s);
      for (const st of states) expect(st).not.toContain(s);
    }
    // The request did carry them: the test would catch a leak.
    expect(readFileSync(pcap('attacks/http-basic-and-form.pcap')).includes('correcthorse')).toBe(true);
  });

  it('ftp-login and the other non-HTTP attack captures: nothing', async () => {
    for (const n of ['ftp-login', 'tls-cert-change-a', 'scan-syn', 'scan-connect', 'arp-spoof-a', 'syn-flood']) {
      expect([n, await analyze(pcap(`attacks/${n}.pcap`))]).toEqual([n, []]);
    }
  });
});

describe('cleartext-http on the public captures', () => {
  it('http-auth-bearer (null link type): medium, Authorization "Bearer", host from the Host header', async () => {
    const f = await analyze(pcap('public/http-auth-bearer__input.pcap'));
    expect(
      f.map((x) => [x.type, x.severity, x.count, x.dst, x.evidence.frames, x.evidence.host, x.evidence.indicators]),
    ).toEqual([
      [
        'unencrypted-web',
        'medium',
        1,
        { ip: '127.0.0.1', port: 8008 },
        [5],
        'www.example.com',
        { authorization: ['Bearer'] },
      ],
    ]);
    expect(JSON.stringify(f)).not.toContain('mF_9.B5f-4.1JqM'); // the token
  });

  it('http-auth-unrecognized: the unknown scheme is named ("Turbo"), its data is not; Host 127.0.0.1:8000 → 127.0.0.1', async () => {
    const f = await analyze(pcap('public/http-auth-unrecognized__input.pcap'));
    expect(
      f.map((x) => [x.type, x.severity, x.count, x.dst, x.evidence.frames, x.evidence.host, x.evidence.indicators]),
    ).toEqual([
      ['unencrypted-web', 'medium', 1, { ip: '127.0.0.1', port: 8000 }, [5], '127.0.0.1', { authorization: ['Turbo'] }],
    ]);
    expect(JSON.stringify(f)).not.toContain('customAuthDataHere');
  });

  it('output-multi-eve: the log4shell probe sent a JSESSIONID cookie (medium, name only) and an empty password= field (nothing exposed, not counted); the payload fetch is info', async () => {
    const f = await analyze(pcap('public/output-multi-eve__input.pcap'));
    expect(
      f.map((x) => [x.severity, x.count, x.evidence.host, x.evidence.server, x.evidence.indicators ?? null]),
    ).toEqual([
      ['medium', 1, '192.168.13.31', '172.16.238.10:8080', { sessionCookies: ['JSESSIONID'] }],
      ['info', 2, '172.16.238.11', '172.16.238.11:80', null],
    ]);
  });

  it('tls-subjectaltname: HTTP images from madmaskiner.dk, which the capture also shows on HTTPS, are hotlinks, not stripping — unless any content counts', async () => {
    const file = pcap('public/tls__tls-subjectaltname__input.pcap');
    const f = await analyze(file);
    expect(f.filter((x) => x.type !== 'unencrypted-web')).toEqual([]);
    expect(f.every((x) => x.severity === 'info')).toBe(true);
    // The detector does see the host on both sides: with every 2xx counting as content it reports.
    const any = await analyze(file, { detectors: { [ID]: { strippingContentTypes: [] } } });
    const strip = any.filter((x) => x.type === 'possible-ssl-stripping');
    expect(
      strip.map((x) => [x.severity, x.evidence.host, x.evidence.via, x.evidence.tlsServer, x.evidence.sni]),
    ).toEqual([['medium', 'madmaskiner.dk', 'sni', '93.191.156.41:443', 'madmaskiner.dk']]);
    if (hasTool('tshark')) {
      const sni = tshark(file, 'tls.handshake.extensions_server_name == "madmaskiner.dk"', ['frame.number']);
      expect(strip[0].evidence.tlsFrame).toBe(Number(sni[0][0]));
    }
  });

  // One test per capture (not one walking all of them): each gets its own timeout, so a slow
  // machine makes the suite slower, not red.
  describe('every attack and public capture: one summary per (host, server ip:port) with the request count, methods and distinct paths tshark finds', () => {
    const files = [...capturesIn(pcap('attacks')), ...capturesIn(pcap('public'))];
    const withHttp = new Set<string>();
    (hasTool('tshark') ? it.each : it.skip.each)(files.map((f) => [basename(f), f]))('%s', async (_n, file) => {
      const t = tsharkSummaries(file);
      if (t.size > 0) withHttp.add(file);
      const expected = [...t.entries()]
        .map(([k, s]) => [k, s.requests, s.methods, s.paths.size])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      const got = web(await analyze(file))
        .map((x) => [`${x.evidence.host}|${x.evidence.server}`, x.count, x.evidence.methods, x.evidence.distinctPaths])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      expect(got).toEqual(expected);
    });
    (hasTool('tshark') ? it : it.skip)('eight of them have HTTP', () => {
      expect([...withHttp].map((f) => basename(f)).sort()).toEqual([
        'clean-web.pcap',
        'decode-sll2-01__input.pcap',
        'decode-teredo-01__input.pcap',
        'http-auth-bearer__input.pcap',
        'http-auth-unrecognized__input.pcap',
        'http-basic-and-form.pcap',
        'output-multi-eve__input.pcap',
        'tls__tls-subjectaltname__input.pcap',
      ]);
    });
  });

  it.each(
    [...capturesIn(pcap('public'))]
      .filter((f) => /tls|ja4|dns|arp|ftp|pop3|imap|telnet/.test(basename(f)) && !/subjectaltname/.test(basename(f)))
      .map((f) => [basename(f), f]),
  )('%s: no HTTP, no finding', async (_n, file) => {
    expect(await analyze(file)).toEqual([]);
  });
});

// ---- synthetic ---------------------------------------------------------------------------------

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

function handshakeRecord(type: number, body: Buffer): Buffer {
  const hs = Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 255]), body]);
  return Buffer.concat([Buffer.from([0x16, 3, 1]), u16(hs.length), hs]);
}

/** A TLS 1.2 ClientHello with an optional server_name extension (RFC 6066 §3). */
function clientHello(sni?: string): Buffer {
  let exts = Buffer.alloc(0);
  if (sni !== undefined) {
    const name = Buffer.from(sni, 'latin1');
    const entry = Buffer.concat([Buffer.from([0]), u16(name.length), name]);
    const list = Buffer.concat([u16(entry.length), entry]);
    exts = Buffer.concat([u16(0), u16(list.length), list]);
  }
  return handshakeRecord(
    1,
    Buffer.concat([
      Buffer.from([3, 3]),
      Buffer.alloc(32, 7),
      Buffer.from([0]),
      u16(2),
      Buffer.from([0xc0, 0x2f]),
      Buffer.from([1, 0]),
      u16(exts.length),
      exts,
    ]),
  );
}

function serverHello(): Buffer {
  return handshakeRecord(
    2,
    Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32, 9), Buffer.from([0]), Buffer.from([0xc0, 0x2f, 0]), u16(0)]),
  );
}

function response(status: string, headers: string[], body: string | Buffer = ''): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  const head = `HTTP/1.1 ${status}\r\n${headers.map((h) => `${h}\r\n`).join('')}Content-Length: ${b.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), b]);
}

const HTML = 'Content-Type: text/html; charset=utf-8';
const PAGE = '<html><body><h1>Shop</h1></body></html>';
const LOGIN =
  '<html><form method=post action=/login><input name=user><INPUT\n  name="pw" TYPE=\'Password\'></form></html>';

class Scene {
  readonly t = new Timeline();
  readonly client: Host = host('192.168.5.10', 0x10);
  readonly server: Host = host('203.0.113.80', 0x80);
  private port = 40000;
  at = 0;

  /** One TLS handshake to server:443; returns the ClientHello and ServerHello frames. */
  tls(sni?: string, server = this.server): { ch: number; sh: number } {
    const s = new TcpConversation(this.t, this.client, server, this.port++, 443, this.at).open();
    const ch = s.c(clientHello(sni));
    const sh = s.s(serverHello());
    s.close();
    this.at = s.at + 1;
    return { ch, sh };
  }

  /** One HTTP connection to server:80 with the given exchanges; returns [request, response] frames. */
  http(exchanges: Array<[string | Buffer, Buffer]>, server = this.server, port = 80): number[][] {
    const s = new TcpConversation(this.t, this.client, server, this.port++, port, this.at).open();
    const frames = exchanges.map(([q, r]) => [s.c(q), s.s(r)]);
    s.close();
    this.at = s.at + 1;
    return frames;
  }

  run(override?: object): Finding[] {
    return runTimeline(this.t, [ID], resolveConfig(override)).findings;
  }
}

const get = (path: string, hostHeader: string, extra: string[] = []) =>
  `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\n${extra.map((h) => `${h}\r\n`).join('')}\r\n`;

const brief = (f: Finding[]) => f.map((x) => [x.type, x.severity, x.count, x.evidence.frames]);

describe('cleartext-http: possible SSL stripping (synthetic)', () => {
  it('HTTPS to shop.example (SNI), then HTML pages over HTTP from it: stripping, both frames in evidence', () => {
    const s = new Scene();
    const { ch } = s.tls('shop.example');
    const [[q1, r1], [q2, r2]] = s.http([
      [get('/', 'shop.example'), response('200 OK', [HTML], PAGE)],
      [get('/cart', 'Shop.Example.:80'), response('200 OK', [HTML], PAGE)],
    ]);
    const f = s.run();
    expect(brief(f)).toEqual([
      ['possible-ssl-stripping', 'medium', 2, [ch, r1, r2]],
      ['unencrypted-web', 'info', 2, [q1, q2]],
    ]);
    expect(f[0]).toMatchObject({
      mitre: 'T1557',
      title: 'Possible SSL stripping: shop.example seen on HTTPS and serving content over plain HTTP (203.0.113.80:80)',
      src: { ip: '192.168.5.10' },
      dst: { ip: '203.0.113.80', port: 80 },
      evidence: {
        host: 'shop.example',
        via: 'sni',
        sni: 'shop.example',
        tlsFrame: ch,
        httpFrame: r1,
        tlsServer: '203.0.113.80:443',
        contentResponses: 2,
      },
    });
  });

  it('HTTP first, HTTPS afterwards: the same finding, evidence in capture order', () => {
    const s = new Scene();
    const [[, r1]] = s.http([[get('/', 'shop.example'), response('200 OK', [HTML], PAGE)]]);
    const { ch } = s.tls('shop.example');
    const f = s.run().filter((x) => x.type === 'possible-ssl-stripping');
    expect(brief(f)).toEqual([['possible-ssl-stripping', 'medium', 1, [r1, ch]]]);
    expect(f[0].evidence).toMatchObject({ httpFrame: r1, tlsFrame: ch, via: 'sni' });
  });

  it('HTTP answered by a 301 to https://same-host is the normal upgrade: no stripping, the redirect counted', () => {
    const s = new Scene();
    s.tls('shop.example');
    const [[q1]] = s.http([
      [get('/', 'shop.example'), response('301 Moved Permanently', [HTML, 'Location: https://shop.example/'], PAGE)],
    ]);
    // Non-page content (an image) from the same host is not stripping either.
    const [[q2]] = s.http([[get('/logo.png', 'shop.example'), response('200 OK', ['Content-Type: image/png'], 'PNG')]]);
    const f = s.run();
    expect(brief(f)).toEqual([['unencrypted-web', 'info', 2, [q1, expect.any(Number), q2]]]);
    expect(f[0].evidence).toMatchObject({ redirectsToHttps: 1, samplePaths: ['/', '/logo.png'] });
    expect(f[0].description).toContain('1 redirected to HTTPS (the normal upgrade)');
  });

  it('a request without Host and one with the server IP as Host are one summary, named by the IP', () => {
    const s = new Scene();
    s.http([
      ['GET /old HTTP/1.0\r\n\r\n', response('200 OK', [HTML], PAGE)],
      [get('/new', '203.0.113.80:80'), response('200 OK', [HTML], PAGE)],
    ]);
    expect(s.run().map((x) => [x.count, x.evidence.host, x.evidence.server, x.evidence.samplePaths])).toEqual([
      [2, '203.0.113.80', '203.0.113.80:80', ['/old', '/new']],
    ]);
  });

  it('a redirect to HTTPS on another host is not counted as the upgrade', () => {
    const s = new Scene();
    s.http([[get('/', 'shop.example'), response('302 Found', ['Location: https://login.other.example/'])]]);
    expect(s.run()[0].evidence.redirectsToHttps).toBe(0);
  });

  it('by server IP: an IP-literal Host and TLS answered on that IP (whatever the SNI) match; a named Host matches only a handshake without SNI', () => {
    let s = new Scene();
    const { sh } = s.tls('other.example');
    const [[, r1]] = s.http([[get('/', '203.0.113.80'), response('200 OK', [HTML], PAGE)]]);
    let strip = s.run().filter((x) => x.type === 'possible-ssl-stripping');
    expect(strip.map((x) => [x.evidence.via, x.evidence.tlsFrame, x.evidence.httpFrame, x.evidence.frames])).toEqual([
      ['server-ip', sh, r1, [sh, r1]],
    ]);

    // Virtual hosting: shop.example over HTTP, other.example over HTTPS on the same address.
    s = new Scene();
    s.tls('other.example');
    s.http([[get('/', 'shop.example'), response('200 OK', [HTML], PAGE)]]);
    expect(s.run().filter((x) => x.type === 'possible-ssl-stripping')).toEqual([]);

    // A handshake without SNI cannot tell the virtual hosts apart: it matches.
    s = new Scene();
    s.http([[get('/', 'shop.example'), response('200 OK', [HTML], PAGE)]]);
    const noSni = s.tls(undefined);
    strip = s.run().filter((x) => x.type === 'possible-ssl-stripping');
    expect(strip.map((x) => [x.evidence.via, x.evidence.tlsFrame])).toEqual([['server-ip', noSni.sh]]);
  });

  it('TLS on a port that is not an HTTPS port does not count', () => {
    const s = new Scene();
    const sess = new TcpConversation(s.t, s.client, s.server, 39000, 993, 0).open();
    sess.c(clientHello('shop.example'));
    sess.s(serverHello());
    sess.close();
    s.at = sess.at + 1;
    s.http([[get('/', 'shop.example'), response('200 OK', [HTML], PAGE)]]);
    expect(s.run().map((x) => x.type)).toEqual(['unencrypted-web']);
    // ...unless configured as one.
    expect(s.run({ detectors: { [ID]: { httpsPorts: [993] } } }).map((x) => x.type)).toEqual([
      'possible-ssl-stripping',
      'unencrypted-web',
    ]);
  });

  it('the same findings whatever packet the capture is cut at (snapshot → JSON → restore)', () => {
    const s = new Scene();
    s.http([[get('/', 'shop.example'), response('200 OK', [HTML, 'Set-Cookie: PHPSESSID=zz; path=/'], LOGIN)]]);
    s.tls('shop.example');
    s.http([
      [get('/a?x=1', 'shop.example', ['Cookie: PHPSESSID=zz']), response('200 OK', [HTML], PAGE)],
      [get('/b', 'shop.example'), response('301 Moved', ['Location: https://shop.example/b'])],
    ]);
    const config = resolveConfig();
    const whole = runTimeline(s.t, [ID], config).findings;
    expect(whole.map((x) => x.type)).toEqual(['unencrypted-web', 'possible-ssl-stripping']);
    const recs = s.t.frames.map((f, i) => toRecord(f.data, { time: f.time, frame: i + 1 }));
    for (let cut = 1; cut < recs.length; cut++) {
      const a = new Pipeline({ captureId: 'synthetic', config, detectors: createDetectors(config, [ID]) });
      recs.slice(0, cut).forEach((r) => a.push(r));
      const state = JSON.parse(JSON.stringify(a.snapshot())) as PipelineState;
      const b = new Pipeline({ captureId: 'synthetic', config, detectors: createDetectors(config, [ID]) });
      b.restore(state);
      recs.slice(cut).forEach((r) => b.push(r));
      b.finish();
      expect(b.findings()).toEqual(whole);
    }
  });
});

describe('cleartext-http: sensitive indicators (synthetic)', () => {
  it('a login form served over HTTP (plain, gzip, chunked+gzip): medium, the page path named', () => {
    const gz = gzipSync(Buffer.from(LOGIN));
    const chunked = Buffer.concat([
      Buffer.from(`HTTP/1.1 200 OK\r\n${HTML}\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n`),
      Buffer.from(`${(10).toString(16)}\r\n`),
      gz.subarray(0, 10),
      Buffer.from(`\r\n${(gz.length - 10).toString(16)}\r\n`),
      gz.subarray(10),
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    for (const r of [
      response('200 OK', [HTML], LOGIN),
      response('200 OK', [HTML, 'Content-Encoding: gzip'], gz),
      chunked,
    ]) {
      const s = new Scene();
      const [[q, resp]] = s.http([[get('/login?next=%2Fadmin', 'shop.example'), r]]);
      const f = s.run();
      expect(brief(f)).toEqual([['unencrypted-web', 'medium', 1, [q, resp]]]);
      expect(f[0].evidence).toMatchObject({
        indicators: { loginForms: ['/login'] },
        sensitiveFrames: [resp],
        samplePaths: ['/login'],
      });
      expect(f[0].description).toContain('login form served at: /login');
    }
  });

  it('compressed bodies: a truncated gzip prefix still shows the form; a decompression bomb costs at most maxDecodedBody and does not throw', () => {
    // Content-Length promises the whole stream, the connection closes after 60 % of it.
    const filler = Array.from({ length: 4000 }, (_x, i) => ((i * 2654435761) >>> 0).toString(36)).join(' ');
    const gz = gzipSync(Buffer.from(`${LOGIN}<p>${filler}`));
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const s = new Scene();
    const sess = new TcpConversation(s.t, s.client, s.server, 45000, 80, 0).open();
    sess.c(get('/login', 'shop.example'));
    sess.s(
      Buffer.concat([
        Buffer.from(`HTTP/1.1 200 OK\r\n${HTML}\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`),
        cut,
      ]),
    );
    sess.close();
    expect(s.run()[0].evidence.indicators).toEqual({ loginForms: ['/login'] });

    // 32 MiB of zeros after the form inflate far past the bound: a shorter prefix is retried and finds the form.
    const bomb = gzipSync(Buffer.concat([Buffer.from(LOGIN), Buffer.alloc(32 << 20)]));
    expect(bomb.length).toBeLessThan(65536);
    const b = new Scene();
    b.http([[get('/', 'shop.example'), response('200 OK', [HTML, 'Content-Encoding: gzip'], bomb)]]);
    expect(b.run()[0].evidence.indicators).toEqual({ loginForms: ['/'] });
    // Garbage that claims to be gzip, and an unknown coding: no indicator, no exception.
    const g = new Scene();
    g.http([
      [get('/', 'shop.example'), response('200 OK', [HTML, 'Content-Encoding: gzip'], LOGIN)],
      [get('/z', 'shop.example'), response('200 OK', [HTML, 'Content-Encoding: zstd'], LOGIN)],
    ]);
    expect(g.run().map((x) => [x.severity, x.evidence.indicators])).toEqual([['info', undefined]]);
  });

  it('no login form: a page without a password input, or a password input in a non-HTML body', () => {
    const s = new Scene();
    s.http([
      [get('/', 'shop.example'), response('200 OK', [HTML], '<input type="text" name="password_hint">')],
      [get('/x.txt', 'shop.example'), response('200 OK', ['Content-Type: text/plain'], LOGIN)],
    ]);
    expect(s.run().map((x) => [x.severity, x.evidence.indicators])).toEqual([['info', undefined]]);
  });

  it('session cookies sent and set: names only, Set-Cookie without Secure stated; other cookies ignored', () => {
    const s = new Scene();
    const [[q1, r1], [q2, r2]] = s.http([
      [
        get('/', 'shop.example', ['Cookie: theme=dark; PHPSESSID=Zq9sessvalue; _shop_session=Yy8railsvalue']),
        response(
          '200 OK',
          [
            HTML,
            'Set-Cookie: JSESSIONID=Xx7javavalue; Path=/; HttpOnly',
            'Set-Cookie: laravel_session=Ww6lvalue; Secure; HttpOnly',
            'Set-Cookie: lang=en',
          ],
          PAGE,
        ),
      ],
      [get('/prefs', 'shop.example', ['Cookie: theme=dark']), response('200 OK', [HTML], PAGE)],
    ]);
    const f = s.run();
    expect(brief(f)).toEqual([['unencrypted-web', 'medium', 2, [q1, r1, q2]]]);
    expect(f[0].evidence.indicators).toEqual({
      sessionCookies: ['PHPSESSID', '_shop_session'],
      sessionCookiesSet: ['JSESSIONID', 'laravel_session'],
      sessionCookiesSetWithoutSecure: ['JSESSIONID'],
    });
    expect(f[0].evidence.sensitiveFrames).toEqual([q1, r1]);
    expect(r2).toBeGreaterThan(r1);
    const json = JSON.stringify(f);
    for (const v of ['Zq9sessvalue', 'Yy8railsvalue', 'Xx7javavalue', 'Ww6lvalue', 'dark'])
      expect(json).not.toContain(v);

    // Only a non-session cookie: plain browsing.
    const t = new Scene();
    t.http([[get('/', 'shop.example', ['Cookie: theme=dark; _ga=GA1.2.3']), response('200 OK', [HTML], PAGE)]]);
    expect(t.run().map((x) => x.severity)).toEqual(['info']);
  });

  it('password fields in a multipart body and in a query string: names and where, values and query never kept, empty ones not counted', () => {
    const boundary = '----b0undary';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="login"\r\n\r\ncarol\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="user_pass"\r\n\r\nVv5multipartsecret\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="old_password"\r\n\r\n\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="doc"; filename="password.txt"\r\n\r\nx\r\n--${boundary}--\r\n`;
    const post =
      `POST /upload HTTP/1.1\r\nHost: shop.example\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`;
    const s = new Scene();
    s.http([
      [post, response('200 OK', [HTML], PAGE)],
      [get('/auth?user=carol&pwd=Uu4querysecret&passport=1&pass=', 'shop.example'), response('200 OK', [HTML], PAGE)],
    ]);
    const f = s.run();
    expect(f.map((x) => [x.severity, x.evidence.indicators, x.evidence.samplePaths])).toEqual([
      ['medium', { passwordFields: ['user_pass (multipart)', 'pwd (query)'] }, ['/upload', '/auth']],
    ]);
    const json = JSON.stringify(f);
    for (const v of ['Vv5multipartsecret', 'Uu4querysecret', 'carol', 'passport']) expect(json).not.toContain(v);
  });

  it('a JSON login body: the key named, empty and non-string values ignored', () => {
    const body = '{"user":{"email":"c@example.org","password":"Tt3jsonsecret"},"otp":"","remember":true,"pin":1234}';
    const post = `POST /api/session HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const s = new Scene();
    s.http([[post, response('201 Created', ['Content-Type: application/json'], '{}')]]);
    const f = s.run();
    expect(f.map((x) => [x.severity, x.evidence.indicators])).toEqual([
      ['medium', { passwordFields: ['password (json)'] }],
    ]);
    expect(JSON.stringify(f)).not.toContain('Tt3jsonsecret');
  });

  it('Proxy-Authorization and Authorization schemes, an Authorization header without a scheme word', () => {
    const s = new Scene();
    s.http([
      [
        get('/', 'shop.example', ['Proxy-Authorization: Basic Zm9vOmJhcg==', 'Authorization: Digest username="x"']),
        response('200 OK', [HTML], PAGE),
      ],
      [get('/', 'shop.example', ['Authorization: =weird']), response('200 OK', [HTML], PAGE)],
    ]);
    expect(s.run()[0].evidence.indicators).toEqual({
      proxyAuthorization: ['Basic'],
      authorization: ['Digest', 'unrecognised'],
    });
  });
});

describe('cleartext-http: bounds and expiry (synthetic)', () => {
  it('distinct paths capped and said so, samples bounded and cut, clients capped', () => {
    const s = new Scene();
    const long = `/${'a'.repeat(300)}`;
    s.http(
      ['/1', '/2?q=1', '/2?q=2', long, '/4', '/5'].map((p) => [
        get(p, 'shop.example'),
        response('200 OK', [HTML], PAGE),
      ]),
    );
    const f = s.run({ detectors: { [ID]: { maxPathsPerHost: 3, samplePaths: 2, maxPathLength: 20 } } });
    expect(f[0].evidence).toMatchObject({
      requests: 6,
      distinctPaths: 3,
      pathsCapped: true,
      samplePaths: ['/1', '/2'],
    });
    expect(f[0].description).toContain('3+ distinct path(s)');
    const g = s.run({ detectors: { [ID]: { samplePaths: 5, maxPathLength: 20 } } });
    expect(g[0].evidence.samplePaths).toEqual(['/1', '/2', `/${'a'.repeat(19)}…`, '/4', '/5']);

    const t = new Scene();
    for (let i = 0; i < 4; i++) {
      const c = host(`192.168.5.${20 + i}`, 0x20 + i);
      const sess = new TcpConversation(t.t, c, t.server, 41000 + i, 80, i).open();
      sess.c(get('/', 'shop.example'));
      sess.s(response('200 OK', [HTML], PAGE));
      sess.close();
    }
    const h = t.run({ detectors: { [ID]: { maxClientsPerHost: 2 } } });
    expect(h[0].evidence).toMatchObject({
      clients: ['192.168.5.20', '192.168.5.21'],
      clientsCapped: true,
      requests: 4,
    });
  });

  it('hosts capped: the least recently requested summary is dropped (its finding stays), state stays bounded', () => {
    const s = new Scene();
    for (const name of ['a.example', 'b.example', 'c.example', 'a.example'])
      s.http([[get('/', name), response('200 OK', [HTML], PAGE)]]);
    const config = resolveConfig({ detectors: { [ID]: { maxHosts: 2 } } });
    const r = runTimeline(s.t, [ID], config);
    // a.example was dropped when c.example came, so its second visit starts a new summary.
    expect(r.findings.map((x) => [x.evidence.host, x.count])).toEqual([
      ['a.example', 1],
      ['b.example', 1],
      ['c.example', 1],
      ['a.example', 1],
    ]);
    const st = (r.detectors[0] as CleartextHttpDetector).snapshot();
    expect(st.hosts.map(([k]) => k)).toEqual(['c.example|203.0.113.80:80', 'a.example|203.0.113.80:80']);
  });

  it('a host idle past hostIdleTimeout starts a new summary; HTTPS seen longer ago than httpsMemory is forgotten', () => {
    const s = new Scene();
    s.tls('shop.example');
    s.http([[get('/', 'shop.example'), response('200 OK', [HTML], PAGE)]]);
    s.at += 100;
    s.http([[get('/', 'shop.example'), response('200 OK', [HTML], PAGE)]]);
    const f = s.run({ detectors: { [ID]: { hostIdleTimeout: 50, httpsMemory: 50 } } });
    // The stripping finding starts at the ClientHello, before the first summary's request.
    expect(f.map((x) => [x.type, x.count])).toEqual([
      ['possible-ssl-stripping', 1],
      ['unencrypted-web', 1],
      ['unencrypted-web', 1],
    ]);
    expect(s.run().map((x) => [x.type, x.count])).toEqual([
      ['possible-ssl-stripping', 2],
      ['unencrypted-web', 2],
    ]);
  });
});

describe('cleartext-http helpers', () => {
  it('normaliseHost: case, port, IPv6 brackets, trailing dot, control characters', () => {
    expect(['Shop.Example.:8080', '[2001:db8::1]:80', '2001:db8::1', 'a\x00b', undefined].map(normaliseHost)).toEqual([
      'shop.example',
      '2001:db8::1',
      '2001:db8::1',
      'a?b',
      '',
    ]);
  });

  it('a bad regular expression in the configuration is a ConfigError naming the key', () => {
    const c = resolveConfig({ detectors: { [ID]: { passwordFieldPattern: '(' } } });
    expect(() => new CleartextHttpDetector(c.detectors[ID])).toThrow(ConfigError);
    expect(() => new CleartextHttpDetector(c.detectors[ID])).toThrow(/cleartext-http\.passwordFieldPattern/);
  });
});
