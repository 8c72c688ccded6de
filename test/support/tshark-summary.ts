import { execFileSync } from 'node:child_process';
import type { FlowRow, HostRow } from '../../src/engine/summary/traffic-summary';

/** tshark's view of a capture's conversations and endpoints: what the traffic summary must agree with. */
export function tshark(file: string, args: string[]): string[] {
  return execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.length > 0);
}

/** tshark's TCP streams: client = sender of the stream's first packet, counts each way (frame.len). */
export function tsharkStreams(file: string) {
  const streams = new Map<
    string,
    Omit<
      FlowRow,
      | 'app'
      | 'flagsToServer'
      | 'flagsToClient'
      | 'state'
      | 'final'
      | 'transport'
      | 'lastFrame'
      | 'firstSeen'
      | 'lastSeen'
    >
  >();
  const lines = tshark(file, [
    '-Y',
    'tcp',
    '-T',
    'fields',
    '-E',
    'separator=/t',
    '-e',
    'tcp.stream',
    '-e',
    'frame.number',
    '-e',
    'ip.src',
    '-e',
    'tcp.srcport',
    '-e',
    'ip.dst',
    '-e',
    'tcp.dstport',
    '-e',
    'frame.len',
  ]);
  for (const line of lines) {
    const [id, frame, src, sport, dst, dport, len] = line.split('\t');
    let s = streams.get(id);
    if (s === undefined) {
      s = {
        firstFrame: Number(frame),
        clientIp: src,
        clientPort: Number(sport),
        serverIp: dst,
        serverPort: Number(dport),
        packetsToServer: 0,
        bytesToServer: 0,
        packetsToClient: 0,
        bytesToClient: 0,
      };
      streams.set(id, s);
    }
    if (src === s.clientIp && Number(sport) === s.clientPort) {
      s.packetsToServer++;
      s.bytesToServer += Number(len);
    } else {
      s.packetsToClient++;
      s.bytesToClient += Number(len);
    }
  }
  return [...streams.values()];
}

/** tshark -z endpoints,ip: packets and bytes each way per address. */
export function tsharkEndpoints(file: string) {
  const out = new Map<string, Pick<HostRow, 'packetsSent' | 'bytesSent' | 'packetsReceived' | 'bytesReceived'>>();
  for (const line of tshark(file, ['-q', '-z', 'endpoints,ip'])) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\s+\d+\s+\d+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(line.trim());
    if (m) out.set(m[1], { packetsSent: +m[2], bytesSent: +m[3], packetsReceived: +m[4], bytesReceived: +m[5] });
  }
  return out;
}
