import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureParser } from '../../src/engine/capture/capture-parser';
import { encodePcapHeader, encodePcapRecord } from '../../src/engine/capture/pcap.writer';

/**
 * Builds the benchmark corpus once (kept in .bench-cache/, outside git): the Ethernet captures of
 * ../shared/pcaps/{public,attacks} repeated with shifted times and rewritten IPv4 addresses (second
 * octet = round number, header checksum fixed) until the file is >= targetBytes, written with the
 * project's own pcap writer, plus a pcapng copy of the same packets and a 1/20 slice for tools too
 * slow to run on the whole file.
 */
interface SourcePacket {
  tsSec: number;
  tsNsec: number;
  origLen: number;
  data: Buffer;
}

function loadSources(dirs: string[]): { packets: SourcePacket[]; span: number } {
  const packets: SourcePacket[] = [];
  let span = 0;
  for (const dir of dirs) {
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.pcap')) continue;
      const file: SourcePacket[] = [];
      let ok = true;
      const parser = new CaptureParser({
        source: name,
        onPacket: (r) => {
          if (r.linkType !== 1) ok = false;
          file.push({
            tsSec: r.tsSec,
            tsNsec: r.tsNsec,
            origLen: r.origLen,
            data: Buffer.from(r.buf.subarray(r.offset, r.offset + r.capLen)),
          });
        },
      });
      try {
        parser.write(readFileSync(join(dir, name)));
        parser.end();
      } catch {
        ok = false;
      }
      if (!ok || file.length === 0) continue;
      // Lay the files end to end in time.
      const base = file[0].tsSec;
      for (const p of file) packets.push({ ...p, tsSec: p.tsSec - base + span });
      span += file[file.length - 1].tsSec - base + 1;
    }
  }
  return { packets, span };
}

function ipv4Checksum(buf: Buffer, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += (buf[off + i] << 8) | buf[off + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Rewrites the IPv4 addresses of an untagged Ethernet frame so every round is new traffic. */
function rewrite(data: Buffer, round: number): Buffer {
  if (data.length < 34 || data.readUInt16BE(12) !== 0x0800 || data[14] >> 4 !== 4) return data;
  const out = Buffer.from(data);
  const ihl = (out[14] & 0x0f) * 4;
  if (ihl < 20 || 14 + ihl > out.length) return out;
  out[14 + 12 + 1] = round & 0xff;
  out[14 + 16 + 1] = round & 0xff;
  out.writeUInt16BE(0, 14 + 10);
  out.writeUInt16BE(ipv4Checksum(out, 14, ihl), 14 + 10);
  return out;
}

function pcapngSection(): Buffer {
  const shb = Buffer.alloc(28);
  shb.writeUInt32LE(0x0a0d0d0a, 0);
  shb.writeUInt32LE(28, 4);
  shb.writeUInt32LE(0x1a2b3c4d, 8);
  shb.writeUInt16LE(1, 12);
  shb.writeUInt16LE(0, 14);
  shb.writeBigInt64LE(-1n, 16);
  shb.writeUInt32LE(28, 24);
  const idb = Buffer.alloc(20);
  idb.writeUInt32LE(1, 0);
  idb.writeUInt32LE(20, 4);
  idb.writeUInt16LE(1, 8); // Ethernet
  idb.writeUInt32LE(262144, 12);
  idb.writeUInt32LE(20, 16);
  return Buffer.concat([shb, idb]);
}

function pcapngEpb(p: SourcePacket): Buffer {
  const pad = (4 - (p.data.length % 4)) % 4;
  const total = 32 + p.data.length + pad;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(6, 0);
  b.writeUInt32LE(total, 4);
  b.writeUInt32LE(0, 8);
  const ts = BigInt(p.tsSec) * 1_000_000n + BigInt(Math.floor(p.tsNsec / 1000));
  b.writeUInt32LE(Number(ts >> 32n), 12);
  b.writeUInt32LE(Number(ts & 0xffffffffn), 16);
  b.writeUInt32LE(p.data.length, 20);
  b.writeUInt32LE(p.origLen, 24);
  p.data.copy(b, 28);
  b.writeUInt32LE(total, total - 4);
  return b;
}

export interface BenchCorpus {
  pcap: string;
  pcapng: string;
  /** The first ~1/20 of the pcap, for tools too slow to run on all of it. */
  slice: string;
}

export function ensureCorpus(cacheDir: string, sharedPcaps: string, targetBytes: number): BenchCorpus {
  mkdirSync(cacheDir, { recursive: true });
  const tag = `${Math.round(targetBytes / 1e6)}mb`;
  const corpus: BenchCorpus = {
    pcap: join(cacheDir, `mixed-${tag}.pcap`),
    pcapng: join(cacheDir, `mixed-${tag}.pcapng`),
    slice: join(cacheDir, `mixed-${tag}.slice20.pcap`),
  };
  if (existsSync(corpus.pcap) && existsSync(corpus.pcapng) && existsSync(corpus.slice)) return corpus;

  const { packets, span } = loadSources([join(sharedPcaps, 'public'), join(sharedPcaps, 'attacks')]);
  if (packets.length === 0) throw new Error(`no Ethernet captures found under ${sharedPcaps}`);
  const roundBytes = packets.reduce((n, p) => n + 16 + p.data.length, 0);
  const rounds = Math.ceil(targetBytes / roundBytes);
  const sliceRounds = Math.max(1, Math.round(rounds / 20));
  const tmp = (f: string) => `${f}.tmp`;
  const fdPcap = openSync(tmp(corpus.pcap), 'w');
  const fdNg = openSync(tmp(corpus.pcapng), 'w');
  const fdSlice = openSync(tmp(corpus.slice), 'w');
  const header = encodePcapHeader({ linkType: 1, snaplen: 262144 });
  writeSync(fdPcap, header);
  writeSync(fdSlice, header);
  writeSync(fdNg, pcapngSection());
  const start = 1_700_000_000;
  for (let round = 0; round < rounds; round++) {
    const pcapParts: Buffer[] = [];
    const ngParts: Buffer[] = [];
    for (const p of packets) {
      const q: SourcePacket = {
        tsSec: start + round * span + p.tsSec,
        tsNsec: p.tsNsec,
        origLen: p.origLen,
        data: rewrite(p.data, round),
      };
      pcapParts.push(encodePcapRecord(q, false));
      ngParts.push(pcapngEpb(q));
    }
    const chunk = Buffer.concat(pcapParts);
    writeSync(fdPcap, chunk);
    if (round < sliceRounds) writeSync(fdSlice, chunk);
    writeSync(fdNg, Buffer.concat(ngParts));
  }
  for (const fd of [fdPcap, fdNg, fdSlice]) closeSync(fd);
  for (const f of [corpus.pcap, corpus.pcapng, corpus.slice]) renameSync(tmp(f), f);
  return corpus;
}
