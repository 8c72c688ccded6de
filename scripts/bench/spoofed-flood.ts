import { closeSync, existsSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodePcapHeader, encodePcapRecord } from '../../src/engine/capture/pcap.writer';
import { ETH, IPPROTO, TCPF, ethernet, ipv4, tcp } from '../../test/support/frame-builder';

/**
 * A SYN flood from spoofed sources, for the memory half of the bench: `syns` SYNs to one
 * victim port from `sources` distinct addresses (10.128.0.0/9), each answered by the victim's
 * SYN-ACK that nobody completes, 20 000 SYNs per second. Memory must not grow with the
 * number of sources: every table on the way is capped and expires in packet time.
 */
export function ensureSpoofedFlood(cacheDir: string, syns: number, sources: number): string {
  const file = join(cacheDir, `spoofed-flood-${syns}-${sources}.pcap`);
  if (existsSync(file)) return file;
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, encodePcapHeader({ linkType: 1 }));
  const victim = '10.0.0.1';
  const start = 1_700_000_000;
  let batch: Buffer[] = [];
  for (let i = 0; i < syns; i++) {
    const n = i % sources;
    const src = `10.${128 + ((n >> 16) & 127)}.${(n >> 8) & 255}.${n & 255}`;
    const sport = 1024 + ((i * 7) % 60000);
    const t = start + i / 20000;
    const tsSec = Math.floor(t);
    const tsNsec = Math.round((t - tsSec) * 1e6) * 1000;
    const syn = ethernet(
      { src: '02:00:00:00:00:66', dst: '02:00:00:00:00:01', etherType: ETH.IPV4 },
      ipv4(
        { src, dst: victim, proto: IPPROTO.TCP, id: i & 0xffff },
        tcp({ sport, dport: 80, seq: i * 7919, flags: TCPF.SYN }),
      ),
    );
    const synAck = ethernet(
      { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:66', etherType: ETH.IPV4 },
      ipv4(
        { src: victim, dst: src, proto: IPPROTO.TCP },
        tcp({ sport: 80, dport: sport, seq: i * 104729, ack: i * 7919 + 1, flags: TCPF.SYN | TCPF.ACK }),
      ),
    );
    batch.push(
      encodePcapRecord({ tsSec, tsNsec, data: syn }, false),
      encodePcapRecord({ tsSec, tsNsec: tsNsec + 1000, data: synAck }, false),
    );
    if (batch.length >= 20000) {
      writeSync(fd, Buffer.concat(batch));
      batch = [];
    }
  }
  if (batch.length) writeSync(fd, Buffer.concat(batch));
  closeSync(fd);
  renameSync(tmp, file);
  return file;
}
