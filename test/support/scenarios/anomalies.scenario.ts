import { encodePcapHeader, encodePcapRecord } from '../../../src/engine/capture/pcap.writer';
import { ETH, IPFLAG, IPPROTO, TCPF, ethernet, icmp, ipv4, lsrrOption, tcp, udp } from '../frame-builder';

/**
 * The bundled `fixtures/anomalies/` capture: an ordinary small office exchange (TCP handshake,
 * HTTP request and answer, close, a DNS lookup, a ping) with one packet of each kind the
 * packet-anomaly detector knows mixed in. Built from first principles, so the ground truth —
 * which frame is which anomaly — comes from how each frame was made, not from the detector.
 */
const CLIENT = { ip: '192.168.56.10', mac: '02:00:00:00:00:10' };
const SERVER = { ip: '192.168.56.20', mac: '02:00:00:00:00:20' };
const ATTACKER = { ip: '192.168.56.66', mac: '02:00:00:00:00:66' };
const RESOLVER = { ip: '192.168.56.1', mac: '02:00:00:00:00:01' };

export interface ScenarioExpectation {
  type: string;
  severity: string;
  srcIp?: string;
  count: number;
  frames: number[];
}

function eth4(from: { mac: string }, to: { mac: string }, ip: Buffer): Buffer {
  return ethernet({ src: from.mac, dst: to.mac, etherType: ETH.IPV4 }, ip);
}

function tcpFrame(
  from: typeof CLIENT,
  to: typeof CLIENT,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  return eth4(
    from,
    to,
    ipv4(
      { src: from.ip, dst: to.ip, proto: IPPROTO.TCP, fixL4Checksum: true },
      tcp({ sport, dport, seq, ack, flags }, payload),
    ),
  );
}

function dnsQuery(id: number, response: boolean): Buffer {
  // www.example.com A, hand-encoded so the fixture does not depend on the parser under test.
  const name = Buffer.from([3, ...Buffer.from('www'), 7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(response ? 0x8180 : 0x0100, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(response ? 1 : 0, 6);
  const question = Buffer.concat([name, Buffer.from([0, 1, 0, 1])]);
  if (!response) return Buffer.concat([header, question]);
  const answer = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34]);
  return Buffer.concat([header, question, answer]);
}

export function buildAnomaliesScenario(): { pcap: Buffer; expected: ScenarioExpectation[] } {
  const frames: Array<{ data: Buffer; origLen?: number }> = [];
  const expected: ScenarioExpectation[] = [];
  const add = (data: Buffer, origLen?: number): number => frames.push({ data, origLen });
  const expect = (e: Omit<ScenarioExpectation, 'count' | 'frames'>, frame: number) => {
    const existing = expected.find((x) => x.type === e.type && x.srcIp === e.srcIp && x.severity === e.severity);
    if (existing) {
      existing.count++;
      existing.frames.push(frame);
    } else expected.push({ ...e, count: 1, frames: [frame] });
  };

  // Ordinary traffic: none of it may produce an alert. The HTTP request is plain web, which the
  // cleartext-http detector summarises as information (one unencrypted-web finding, info).
  const get = Buffer.from('GET / HTTP/1.1\r\nHost: intranet.example\r\n\r\n');
  const ok = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  add(tcpFrame(CLIENT, SERVER, 40000, 80, 1000, 0, TCPF.SYN));
  add(tcpFrame(SERVER, CLIENT, 80, 40000, 5000, 1001, TCPF.SYN | TCPF.ACK));
  add(tcpFrame(CLIENT, SERVER, 40000, 80, 1001, 5001, TCPF.ACK));
  expect(
    { type: 'unencrypted-web', severity: 'info', srcIp: CLIENT.ip },
    add(tcpFrame(CLIENT, SERVER, 40000, 80, 1001, 5001, TCPF.PSH | TCPF.ACK, get)),
  );
  add(tcpFrame(SERVER, CLIENT, 80, 40000, 5001, 1001 + get.length, TCPF.PSH | TCPF.ACK, ok));
  add(tcpFrame(CLIENT, SERVER, 40000, 80, 1001 + get.length, 5001 + ok.length, TCPF.FIN | TCPF.ACK));
  add(tcpFrame(SERVER, CLIENT, 80, 40000, 5001 + ok.length, 1002 + get.length, TCPF.FIN | TCPF.ACK));
  add(tcpFrame(CLIENT, SERVER, 40000, 80, 1002 + get.length, 5002 + ok.length, TCPF.ACK));
  add(
    eth4(
      CLIENT,
      RESOLVER,
      ipv4(
        { src: CLIENT.ip, dst: RESOLVER.ip, proto: IPPROTO.UDP, fixL4Checksum: true },
        udp({ sport: 53000, dport: 53 }, dnsQuery(0x1234, false)),
      ),
    ),
  );
  add(
    eth4(
      RESOLVER,
      CLIENT,
      ipv4(
        { src: RESOLVER.ip, dst: CLIENT.ip, proto: IPPROTO.UDP, fixL4Checksum: true },
        udp({ sport: 53, dport: 53000 }, dnsQuery(0x1234, true)),
      ),
    ),
  );
  add(
    eth4(
      CLIENT,
      RESOLVER,
      ipv4(
        { src: CLIENT.ip, dst: RESOLVER.ip, proto: IPPROTO.ICMP },
        icmp({ type: 8, rest: 0x00010001 }, Buffer.alloc(32, 0x61)),
      ),
    ),
  );
  add(
    eth4(
      RESOLVER,
      CLIENT,
      ipv4(
        { src: RESOLVER.ip, dst: CLIENT.ip, proto: IPPROTO.ICMP },
        icmp({ type: 0, rest: 0x00010001 }, Buffer.alloc(32, 0x61)),
      ),
    ),
  );

  // Anomalies, each from the attacker unless the anomaly is about the source itself.
  for (const port of [22, 23]) {
    const f = add(tcpFrame(ATTACKER, SERVER, 31337, port, 7, 0, TCPF.SYN | TCPF.FIN));
    expect({ type: 'invalid-tcp-flags', severity: 'medium', srcIp: ATTACKER.ip }, f);
  }
  expect(
    { type: 'invalid-tcp-flags', severity: 'medium', srcIp: ATTACKER.ip + '#null' },
    add(tcpFrame(ATTACKER, SERVER, 31338, 25, 7, 0, 0)),
  );
  expect(
    { type: 'land-packet', severity: 'high', srcIp: SERVER.ip },
    add(
      eth4(
        ATTACKER,
        SERVER,
        ipv4(
          { src: SERVER.ip, dst: SERVER.ip, proto: IPPROTO.TCP, fixL4Checksum: true },
          tcp({ sport: 139, dport: 139, seq: 1, flags: TCPF.SYN }),
        ),
      ),
    ),
  );
  expect(
    { type: 'ip-source-route', severity: 'medium', srcIp: ATTACKER.ip },
    add(
      eth4(
        ATTACKER,
        SERVER,
        ipv4(
          { src: ATTACKER.ip, dst: SERVER.ip, proto: IPPROTO.ICMP, options: lsrrOption(['192.168.56.1']) },
          icmp({ type: 8, rest: 0x00020001 }),
        ),
      ),
    ),
  );
  expect(
    { type: 'ttl-zero', severity: 'low', srcIp: ATTACKER.ip },
    add(
      eth4(
        ATTACKER,
        SERVER,
        ipv4(
          { src: ATTACKER.ip, dst: SERVER.ip, proto: IPPROTO.UDP, ttl: 0 },
          udp({ sport: 1000, dport: 2000 }, Buffer.from('x')),
        ),
      ),
    ),
  );
  expect(
    { type: 'unusual-ip-protocol', severity: 'low', srcIp: ATTACKER.ip },
    add(
      eth4(
        ATTACKER,
        SERVER,
        ipv4({ src: ATTACKER.ip, dst: SERVER.ip, proto: 253 }, Buffer.from('covert channel payload')),
      ),
    ),
  );
  expect(
    { type: 'invalid-source-address', severity: 'medium', srcIp: '255.255.255.255' },
    add(
      eth4(
        ATTACKER,
        SERVER,
        ipv4(
          { src: '255.255.255.255', dst: SERVER.ip, proto: IPPROTO.UDP },
          udp({ sport: 7, dport: 7 }, Buffer.from('echo')),
        ),
      ),
    ),
  );
  // A first fragment holding 8 bytes of TCP header (RFC 1858's tiny fragment), then the rest.
  const seg = tcp({ sport: 4444, dport: 80, seq: 1, flags: TCPF.SYN });
  expect(
    { type: 'ip-tiny-fragment', severity: 'medium', srcIp: ATTACKER.ip },
    add(
      eth4(
        ATTACKER,
        SERVER,
        ipv4({ src: ATTACKER.ip, dst: SERVER.ip, proto: IPPROTO.TCP, id: 77, flags: IPFLAG.MF }, seg.subarray(0, 8)),
      ),
    ),
  );
  add(
    eth4(
      ATTACKER,
      SERVER,
      ipv4({ src: ATTACKER.ip, dst: SERVER.ip, proto: IPPROTO.TCP, id: 77, fragOffset: 8 }, seg.subarray(8)),
    ),
  );
  // Teardrop-style overlap: the second fragment starts inside the first one.
  const body = Buffer.alloc(48, 0x41);
  add(
    eth4(
      ATTACKER,
      SERVER,
      ipv4(
        { src: ATTACKER.ip, dst: SERVER.ip, proto: IPPROTO.UDP, id: 99, flags: IPFLAG.MF },
        Buffer.concat([udp({ sport: 9, dport: 9, length: 8 + 48 }), body.subarray(0, 32)]),
      ),
    ),
  );
  expect(
    { type: 'ip-fragment-overlap', severity: 'medium', srcIp: ATTACKER.ip },
    add(
      eth4(
        ATTACKER,
        SERVER,
        ipv4({ src: ATTACKER.ip, dst: SERVER.ip, proto: IPPROTO.UDP, id: 99, fragOffset: 24 }, Buffer.alloc(32, 0x42)),
      ),
    ),
  );
  // A TCP header cut short by the IP total length (not by the snaplen): malformed.
  const full = tcpFrame(ATTACKER, SERVER, 5555, 80, 1, 0, TCPF.SYN);
  const cut = Buffer.from(full.subarray(0, 14 + 20 + 12));
  cut.writeUInt16BE(20 + 12, 14 + 2);
  cut.writeUInt16BE(0, 14 + 10);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += cut.readUInt16BE(14 + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  cut.writeUInt16BE(~sum & 0xffff, 14 + 10);
  expect({ type: 'malformed-packet', severity: 'low', srcIp: ATTACKER.ip }, add(cut));

  // The null-flags probe is a distinct finding (different detail) from the same source.
  for (const e of expected) if (e.srcIp?.endsWith('#null')) e.srcIp = ATTACKER.ip;

  const start = 1_767_225_600; // 2026-01-01T00:00:00Z
  const parts = [encodePcapHeader({ linkType: 1 })];
  frames.forEach((f, i) =>
    parts.push(
      encodePcapRecord(
        { tsSec: start + Math.floor(i / 10), tsNsec: (i % 10) * 100_000_000, origLen: f.origLen, data: f.data },
        false,
      ),
    ),
  );
  return { pcap: Buffer.concat(parts), expected };
}
