import { gzipSync } from 'node:zlib';
import type { ConnectionInfo, Direction, HttpRequestEvent, HttpResponseEvent } from '../events';
import { HttpParser, type HttpParserOptions, type HttpState } from './http.parser';

/**
 * Body prefixes the HTTP parser hands out with each message: requests and responses alike,
 * bounded by maxBody, chunk framing removed, Content-Encoding left as sent, and nothing kept
 * past a hole in the stream.
 */

const CONN: ConnectionInfo = {
  id: '10.0.0.1:50000-10.0.0.2:80#1',
  transport: 'tcp',
  client: { ip: '10.0.0.1', port: 50000 },
  server: { ip: '10.0.0.2', port: 80 },
  startTime: 0,
};

const OPTS: HttpParserOptions = { maxHeaderBytes: 64 * 1024, maxHeaders: 100, maxBody: 64 * 1024 };

type Step = [Direction, string | Buffer] | ['gap', Direction, number] | ['close'];

interface Out {
  requests: HttpRequestEvent[];
  responses: HttpResponseEvent[];
}

/** Runs the steps through one parser; with `cut`, snapshot→JSON→restore after every step index in it. */
function run(steps: Step[], opts: Partial<HttpParserOptions> = {}, cut: ReadonlySet<number> = new Set()): Out {
  const out: Out = { requests: [], responses: [] };
  const handlers = {
    onHttpRequest: (e: HttpRequestEvent) => out.requests.push(e),
    onHttpResponse: (e: HttpResponseEvent) => out.responses.push(e),
  };
  const o = { ...OPTS, ...opts };
  let p = new HttpParser(CONN, handlers, o);
  const offs = { toServer: 0, toClient: 0 };
  steps.forEach((st, i) => {
    const frame = i + 1;
    if (st[0] === 'close') p.onClose({ conn: CONN, reason: 'fin', frame, time: frame });
    else if (st[0] === 'gap') {
      const [, dir, length] = st;
      p.onGap({ conn: CONN, dir, streamOffset: offs[dir], length, frame, time: frame });
      offs[dir] += length;
    } else {
      const [dir, m] = st;
      const data = Buffer.isBuffer(m) ? m : Buffer.from(m, 'latin1');
      p.onData({ conn: CONN, dir, data, streamOffset: offs[dir], frame, time: frame });
      offs[dir] += data.length;
    }
    if (cut.has(i)) {
      const state = JSON.parse(JSON.stringify(p.snapshot())) as HttpState;
      p = new HttpParser(CONN, handlers, o, state);
    }
  });
  return out;
}

const bodies = (o: Out) => o.responses.map((r) => [r.frame, r.status, r.body.toString('latin1'), r.bodyLength]);

/** Every single cut point and one run cutting after every step give the same bodies. */
function sameWhenCut(steps: Step[], opts: Partial<HttpParserOptions> = {}): void {
  const whole = JSON.stringify(bodies(run(steps, opts)));
  for (let i = 0; i < steps.length; i++) expect(JSON.stringify(bodies(run(steps, opts, new Set([i]))))).toBe(whole);
  expect(JSON.stringify(bodies(run(steps, opts, new Set(steps.map((_s, i) => i)))))).toBe(whole);
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`;

describe('HttpParser response body prefix', () => {
  it('Content-Length body split over three segments is delivered whole', () => {
    const steps: Step[] = [
      ['toServer', GET('/')],
      ['toClient', 'HTTP/1.1 200 OK\r\nContent-Length: 27\r\n\r\n<html><in'],
      ['toClient', 'put type=pas'],
      ['toClient', 'sword>'],
    ];
    expect(bodies(run(steps))).toEqual([[4, 200, '<html><input type=password>', 27]]);
    sameWhenCut(steps);
  });

  it('chunked body: chunk framing and trailers removed, extensions ignored', () => {
    const steps: Step[] = [
      ['toServer', GET('/')],
      ['toClient', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'],
      ['toClient', '7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n'],
    ];
    expect(bodies(run(steps))).toEqual([[3, 200, 'hello, world', 12]]);
    sameWhenCut(steps);
  });

  it('close-delimited body: delivered at the connection close with every byte before it', () => {
    const steps: Step[] = [
      ['toServer', GET('/')],
      ['toClient', 'HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\nfirst '],
      ['toClient', 'second'],
      ['close'],
    ];
    expect(bodies(run(steps))).toEqual([[4, 200, 'first second', 12]]);
    sameWhenCut(steps);
  });

  it('truncated to maxBody: the first bytes kept, the length still counted (content-length and chunked)', () => {
    const steps: Step[] = [
      ['toServer', GET('/a') + GET('/b')],
      ['toClient', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123'],
      ['toClient', '456789'],
      ['toClient', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n'],
    ];
    expect(bodies(run(steps, { maxBody: 6 }))).toEqual([
      [3, 200, '012345', 10],
      [4, 200, 'abcdef', 7],
    ]);
    sameWhenCut(steps, { maxBody: 6 });
  });

  it('a gap inside the body: bytes before the hole kept, nothing after it', () => {
    const steps: Step[] = [
      ['toServer', GET('/')],
      ['toClient', 'HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nabcd'],
      ['gap', 'toClient', 4],
      ['toClient', 'WXYZ'],
    ];
    expect(bodies(run(steps))).toEqual([[4, 200, 'abcd', 12]]);
    sameWhenCut(steps);
  });

  it('gzip bodies are passed as sent (Content-Encoding is the subscriber’s business)', () => {
    const gz = gzipSync(Buffer.from('<input type="password">'));
    const steps: Step[] = [
      ['toServer', GET('/')],
      [
        'toClient',
        Buffer.concat([
          Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`),
          gz,
        ]),
      ],
    ];
    const r = run(steps).responses;
    expect(r).toHaveLength(1);
    expect(r[0].body.equals(gz)).toBe(true);
  });

  it('no body for HEAD, 204, 304 and 1xx responses; the next response still gets its own', () => {
    const steps: Step[] = [
      ['toServer', 'HEAD / HTTP/1.1\r\n\r\n' + GET('/x') + GET('/y')],
      ['toClient', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'],
      ['toClient', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'],
      ['toClient', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'],
    ];
    expect(bodies(run(steps))).toEqual([
      [2, 200, '', 0],
      [3, 100, '', 0],
      [3, 204, '', 0],
      [4, 200, 'ok', 2],
    ]);
  });

  it('request bodies keep working as before (urlencoded form)', () => {
    const steps: Step[] = [['toServer', 'POST /login HTTP/1.1\r\nContent-Length: 11\r\n\r\nuser=x&pw=y']];
    const r = run(steps).requests;
    expect(r.map((x) => [x.method, x.body.toString(), x.bodyLength])).toEqual([['POST', 'user=x&pw=y', 11]]);
  });
});
