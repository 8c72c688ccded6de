import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../../src/engine/capture/read-capture';
import { DecodedPacket } from '../../src/engine/decode/decoded-packet';
import { PacketDecoder } from '../../src/engine/decode/packet.decoder';
import { formatIPv4 } from '../../src/engine/decode/address';
import { isSpecialUseIPv4 } from '../../src/engine/decode/address-class';

/**
 * One million threat-intel indicators for the bench, generated deterministically (a fixed LCG)
 * into .bench-cache/intel-1m/: 800 000 IPv4 addresses, 150 000 IPv4 CIDRs (mostly /24, as in
 * real drop lists: 70 % /24, 20 % /22-/23, 9 % /17-/21, 1 % /16) and 50 000 domains, as three
 * plain-list feeds plus a feeds file pointing at them. So that the bench traffic really hits,
 * the address list also carries 20 public addresses the corpus talks to (taken from its 1/20
 * slice) and the domain list google.com (SNI and DNS names in the public captures).
 */
export interface BenchIntel {
  feedsFile: string;
  /** The corpus addresses planted in the list. */
  planted: string[];
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

async function corpusAddresses(slice: string, want: number): Promise<string[]> {
  const decoder = new PacketDecoder();
  const p = new DecodedPacket();
  const seen = new Set<number>();
  const order: number[] = [];
  await readCapture(slice, {
    onPacket: (rec) => {
      if (order.length >= want * 10) return;
      decoder.decode(rec, p);
      if (p.ipVersion !== 4) return;
      for (const a of [p.src4 >>> 0, p.dst4 >>> 0]) {
        if (!isSpecialUseIPv4(a) && !seen.has(a)) {
          seen.add(a);
          order.push(a);
        }
      }
    },
  });
  // Every 10th distinct public address, in order of appearance: a spread, not one busy flow.
  return order
    .filter((_, i) => i % 10 === 0)
    .slice(0, want)
    .map(formatIPv4);
}

export async function ensureBenchIntel(dir: string, slice: string): Promise<BenchIntel> {
  const feedsFile = join(dir, 'feeds.json');
  const plantedFile = join(dir, 'planted.json');
  if (existsSync(feedsFile) && existsSync(plantedFile))
    return { feedsFile, planted: JSON.parse(readFileSync(plantedFile, 'utf8')) as string[] };
  mkdirSync(dir, { recursive: true });
  const rnd = lcg(20261124);
  const planted = await corpusAddresses(slice, 20);

  const ips: string[] = ['# bench: 800 000 IPv4 addresses', ...planted];
  while (ips.length < 800_001) ips.push(formatIPv4(rnd()));
  const cidrs: string[] = ['; bench: 150 000 IPv4 CIDRs'];
  for (let i = 0; i < 150_000; i++) {
    const r = rnd() % 100;
    const len = r < 70 ? 24 : r < 90 ? 22 + (rnd() % 2) : r < 99 ? 17 + (rnd() % 5) : 16;
    const a = rnd();
    const start = (a - (a % 2 ** (32 - len))) >>> 0;
    cidrs.push(`${formatIPv4(start)}/${len} ; SBL${100000 + i}`);
  }
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const tlds = ['com', 'net', 'org', 'info', 'xyz', 'top', 'ru', 'cn'];
  const domains: string[] = ['# bench: 50 000 domains', 'google.com'];
  while (domains.length < 50_001) {
    let label = '';
    const n = 6 + (rnd() % 10);
    for (let i = 0; i < n; i++) label += alphabet[rnd() % alphabet.length];
    domains.push(`${label}.${tlds[rnd() % tlds.length]}`);
  }
  const write = (name: string, lines: string[]) => {
    const f = join(dir, name);
    writeFileSync(`${f}.tmp`, `${lines.join('\n')}\n`);
    renameSync(`${f}.tmp`, f);
  };
  write('ips.txt', ips);
  write('cidrs.txt', cidrs);
  write('domains.txt', domains);
  write('planted.json', [JSON.stringify(planted)]);
  writeFileSync(
    feedsFile,
    JSON.stringify(
      {
        feeds: [
          { name: 'bench-ips', path: 'ips.txt', type: 'ip', maxBytes: 256 * 1024 * 1024 },
          { name: 'bench-cidrs', path: 'cidrs.txt', type: 'cidr', severity: 'medium' },
          { name: 'bench-domains', path: 'domains.txt', type: 'domain' },
        ],
      },
      null,
      2,
    ),
  );
  return { feedsFile, planted };
}
