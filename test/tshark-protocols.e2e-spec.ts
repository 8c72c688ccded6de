import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { readCapture } from '../src/engine/capture/read-capture';
import { resolveConfig } from '../src/engine/config';
import { Pipeline } from '../src/engine/pipeline';
import { hasTool, referenceCaptures } from './support/paths';

/**
 * Protocol-level agreement with tshark on every reference capture: the DNS query names, the TLS
 * SNI values and the SHA-256 of every TLS certificate we extract equal what tshark extracts
 * (compared as multisets per capture: tshark and we may attribute a reassembled PDU to different
 * frames, but the values must be the same ones, as often).
 *
 * Explained differences (frames excluded from tshark's side, with the reason):
 * - tshark is told to reassemble out-of-order TCP segments (`tcp.reassemble_out_of_order`, off by
 *   default in tshark 4.0) because we do: otherwise it misses e.g. the certificate chain of
 *   tls__tls-fingerprint-alert, whose first server segment arrives after the later ones.
 * - tunnelled packets (Teredo, GRE, IP-in-IP, PPPoE, VXLAN): we decode the outer packet only, so
 *   a DNS query inside a tunnel is not ours to see.
 */
const TUNNELS = /(^|:)(teredo|gre|pppoe|pppoes|vxlan|ipv6:ipv6|ip:ip|ip:ipv6|ipv6:ip)(:|$)/;
const tshark = hasTool('tshark');
const files = referenceCaptures();

interface Values {
  dns: string[];
  sni: string[];
  certs: string[];
}

function fromTshark(file: string): Values {
  const out = execFileSync(
    'tshark',
    [
      '-n',
      '-o',
      'tcp.reassemble_out_of_order:TRUE',
      '-r',
      file,
      '-T',
      'fields',
      '-E',
      'separator=\t',
      '-E',
      'occurrence=a',
      '-E',
      'aggregator=|',
      '-e',
      'frame.protocols',
      '-e',
      'dns.qry.name',
      '-e',
      'tls.handshake.extensions_server_name',
      '-e',
      'tls.handshake.certificate',
    ],
    { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const v: Values = { dns: [], sni: [], certs: [] };
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [protocols, dns, sni, certs] = line.split('\t');
    if (TUNNELS.test(protocols)) continue;
    if (dns) v.dns.push(...dns.split('|'));
    if (sni) v.sni.push(...sni.split('|'));
    if (certs)
      for (const hex of certs.split('|'))
        v.certs.push(
          createHash('sha256')
            .update(Buffer.from(hex.replace(/:/g, ''), 'hex'))
            .digest('hex'),
        );
  }
  return v;
}

async function fromNetwarden(file: string): Promise<Values> {
  const v: Values = { dns: [], sni: [], certs: [] };
  const pipeline = new Pipeline({
    captureId: 't',
    detectors: [],
    config: resolveConfig(),
    protocols: ['dns', 'tls'],
    observers: [
      {
        onDns: (e) => v.dns.push(...e.questions.map((q) => q.name)),
        onTlsClientHello: (e) => {
          if (e.sni !== undefined) v.sni.push(e.sni);
        },
        onTlsCertificate: (e) => v.certs.push(...e.chain.map((c) => c.sha256)),
      },
    ],
  });
  try {
    await readCapture(file, { onPacket: (r) => pipeline.push(r) });
  } catch {
    // damaged tails: tshark also stops there
  }
  pipeline.finish();
  return v;
}

const sorted = (a: string[]) => [...a].sort();

(tshark ? describe : describe.skip)('protocol fields agree with tshark', () => {
  // tshark runs once per capture, in that capture's own test (one walk over all of them in one
  // test took 43 s of a fixed 60 s under test:stress); coverage is summed as they go.
  const covered = { files: 0, dns: 0, sni: 0, certs: 0 };

  it.each(files.map((f) => [basename(f), f]))('%s', async (_n, file) => {
    const [ours, theirs] = [await fromNetwarden(file), fromTshark(file)];
    covered.files++;
    covered.dns += theirs.dns.length;
    covered.sni += theirs.sni.length;
    covered.certs += theirs.certs.length;
    expect(sorted(ours.dns)).toEqual(sorted(theirs.dns));
    expect(sorted(ours.sni)).toEqual(sorted(theirs.sni));
    expect(sorted(ours.certs)).toEqual(sorted(theirs.certs));
  });

  it('covered captures that have DNS, SNI and certificates', () => {
    expect(covered.files).toBe(files.length);
    expect(covered.dns).toBeGreaterThan(20);
    expect(covered.sni).toBeGreaterThan(10);
    expect(covered.certs).toBeGreaterThan(20);
  });
});
