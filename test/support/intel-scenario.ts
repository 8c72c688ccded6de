import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { pcapFile, TCPF } from './frame-builder';
import { host, tcpFrame, Timeline, udpFrame, type Host } from './traffic';

/**
 * The threat-intel scenario shared by the feed spec and the CLI e2e test: a client that talks to
 * one listed address and looks up (DNS) and connects (TLS SNI) to one listed domain, next to
 * traffic with nothing listed; and a local feed server whose answers a test can change.
 */
export const CLIENT: Host = host('10.20.0.5', 5);
export const RESOLVER: Host = host('10.20.0.1', 1);
/** Listed in the IP feed. */
export const BAD_IP: Host = host('198.51.100.66', 0x66);
/** Where the listed domain resolves: NOT itself listed. */
export const TLS_SERVER: Host = host('203.0.113.80', 0x80);
export const GOOD_SERVER: Host = host('203.0.113.9', 0x09);
export const BAD_DOMAIN = 'evil-c2.example';
export const BAD_NAME = `cdn.${BAD_DOMAIN}`;

export const IP_LIST = [
  '# test feed: listed addresses',
  '192.0.2.0/24 ; SBL-TEST',
  `${BAD_IP.ip}`,
  '100.64.0.0/10',
  '10.0.0.0/8',
  '',
].join('\n');
export const DOMAIN_LIST = ['# test feed: listed domains', BAD_DOMAIN, 'other-bad.example', ''].join('\n');

/** A minimal TLS 1.2 ClientHello record carrying `sni`. */
export function clientHello(sni: string): Buffer {
  const name = Buffer.from(sni, 'ascii');
  const sniData = Buffer.alloc(5 + name.length);
  sniData.writeUInt16BE(3 + name.length, 0);
  sniData[2] = 0; // host_name
  sniData.writeUInt16BE(name.length, 3);
  name.copy(sniData, 5);
  const ext = Buffer.concat([Buffer.from([0, 0, sniData.length >> 8, sniData.length & 255]), sniData]);
  const body = Buffer.concat([
    Buffer.from([3, 3]),
    Buffer.alloc(32, 7), // random
    Buffer.from([0]), // session id
    Buffer.from([0, 2, 0x13, 0x01]), // one cipher suite
    Buffer.from([1, 0]), // null compression
    Buffer.from([ext.length >> 8, ext.length & 255]),
    ext,
  ]);
  const hs = Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 255, body.length & 255]), body]);
  return Buffer.concat([Buffer.from([0x16, 3, 1, hs.length >> 8, hs.length & 255]), hs]);
}

function dnsFrames(t: Timeline, at: number, id: number, name: string, answer: string, sport: number): void {
  const q = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name }],
  });
  const r = dnsPacket.encode({
    type: 'response',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name }],
    answers: [{ type: 'A', name, ttl: 60, data: answer }],
  });
  t.add(at, udpFrame(CLIENT, RESOLVER, sport, 53, Buffer.from(q)));
  t.add(at + 0.01, udpFrame(RESOLVER, CLIENT, 53, sport, Buffer.from(r)));
}

/** Handshake, one client data segment (if any), one server ACK. */
function tcpSession(t: Timeline, at: number, server: Host, dport: number, sport: number, data?: Buffer): void {
  const c = 1000;
  const s = 5000;
  t.add(at, tcpFrame(CLIENT, server, { sport, dport, seq: c, flags: TCPF.SYN }));
  t.add(
    at + 0.01,
    tcpFrame(server, CLIENT, { sport: dport, dport: sport, seq: s, ack: c + 1, flags: TCPF.SYN | TCPF.ACK }),
  );
  t.add(at + 0.02, tcpFrame(CLIENT, server, { sport, dport, seq: c + 1, ack: s + 1, flags: TCPF.ACK }));
  if (data) {
    t.add(
      at + 0.03,
      tcpFrame(CLIENT, server, { sport, dport, seq: c + 1, ack: s + 1, flags: TCPF.PSH | TCPF.ACK, payload: data }),
    );
    t.add(
      at + 0.04,
      tcpFrame(server, CLIENT, { sport: dport, dport: sport, seq: s + 1, ack: c + 1 + data.length, flags: TCPF.ACK }),
    );
  }
}

/**
 * The capture: DNS lookup of cdn.evil-c2.example (2 frames), a TLS ClientHello with that SNI to
 * its (unlisted) address (5 frames), a TCP session with the listed address (3 frames: 2 to it,
 * 1 from it); and unlisted traffic: a lookup of good.example and a session with 203.0.113.9.
 */
export function intelScenario(): Timeline {
  const t = new Timeline();
  dnsFrames(t, 0, 0x1111, BAD_NAME, TLS_SERVER.ip, 40001); // frames 1-2
  tcpSession(t, 1, TLS_SERVER, 443, 40002, clientHello(BAD_NAME)); // frames 3-7
  tcpSession(t, 2, BAD_IP, 80, 40003); // frames 8-10
  dnsFrames(t, 3, 0x2222, 'good.example', GOOD_SERVER.ip, 40004); // frames 11-12
  tcpSession(t, 4, GOOD_SERVER, 443, 40005, clientHello('good.example')); // frames 13-17
  return t;
}

export function scenarioPcap(): Buffer {
  const t = intelScenario();
  return pcapFile(
    t.frames.map((f) => f.data),
    { linkType: 1, start: t.start, step: 0.05 },
  );
}

export interface FeedServer {
  url: string;
  /** Requests seen, with their conditional headers. */
  requests: Array<{ path: string; ifNoneMatch?: string; ifModifiedSince?: string }>;
  /** Every request's full target (query included) and Authorization-like headers, for the secret tests. */
  received: Array<{ target: string; authorization?: string; authKey?: string }>;
  /** What each path answers: a body (200 with an ETag), a status (with a reason phrase), or a delay. */
  routes: Map<
    string,
    { status?: number; statusText?: string; body?: string; etag?: string; delayMs?: number; location?: string }
  >;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (random port) serving feeds; answers 304 when the ETag matches. */
export async function startFeedServer(): Promise<FeedServer> {
  const requests: FeedServer['requests'] = [];
  const received: FeedServer['received'] = [];
  const routes: FeedServer['routes'] = new Map();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    requests.push({
      path,
      ...(req.headers['if-none-match'] ? { ifNoneMatch: String(req.headers['if-none-match']) } : {}),
      ...(req.headers['if-modified-since'] ? { ifModifiedSince: String(req.headers['if-modified-since']) } : {}),
    });
    received.push({
      target: req.url ?? '/',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(req.headers['auth-key'] ? { authKey: String(req.headers['auth-key']) } : {}),
    });
    const r = routes.get(path);
    const answer = () => {
      if (!r) {
        res.writeHead(404).end('not found');
        return;
      }
      if (r.status && r.status !== 200) {
        res.writeHead(r.status, r.statusText, r.location ? { location: r.location } : {}).end('server error');
        return;
      }
      if (r.etag && req.headers['if-none-match'] === r.etag) {
        res.writeHead(304, { etag: r.etag }).end();
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/plain',
        ...(r.etag ? { etag: r.etag } : {}),
        'last-modified': 'Tue, 24 Nov 2026 08:00:00 GMT',
      });
      res.end(r.body ?? '');
    };
    if (r?.delayMs) setTimeout(answer, r.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    received,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
