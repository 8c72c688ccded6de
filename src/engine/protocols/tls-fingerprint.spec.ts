import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SHARED_PCAPS, capturesIn, hasTool } from '../../../test/support/paths';
import { CaptureParser } from '../capture/capture-parser';
import { resolveConfig } from '../config';
import type { TlsClientHelloEvent, TlsServerHelloEvent } from '../events';
import { Pipeline } from '../pipeline';
import { ja3, ja3s, ja4 } from './tls-fingerprint';

/** Every ClientHello / ServerHello the engine parses in a capture. */
function hellos(file: string): { ch: TlsClientHelloEvent[]; sh: TlsServerHelloEvent[] } {
  const ch: TlsClientHelloEvent[] = [];
  const sh: TlsServerHelloEvent[] = [];
  const p = new Pipeline({
    captureId: file,
    config: resolveConfig(),
    detectors: [],
    protocols: ['tls'],
    observers: [{ onTlsClientHello: (e) => ch.push(e), onTlsServerHello: (e) => sh.push(e) }],
  });
  const parser = new CaptureParser({ source: file, onPacket: (r) => p.push(r) });
  parser.write(readFileSync(file));
  parser.end();
  p.finish();
  return { ch, sh };
}

/** tshark's values of one field over the hellos of one type (one line per message). */
function tshark(file: string, handshakeType: 1 | 2, field: string): string[] {
  const out = execFileSync(
    'tshark',
    [
      '-o',
      'tcp.reassemble_out_of_order:TRUE',
      '-r',
      file,
      '-Y',
      `tls.handshake.type == ${handshakeType}`,
      '-T',
      'fields',
      '-E',
      'occurrence=a',
      '-E',
      'aggregator=|',
      '-e',
      field,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => l.split('|'))
    .sort();
}

describe('TLS fingerprints', () => {
  it('JA3/JA4 of a published Chrome hello (browserleaks: ja3_text, ja4, ja4_r as printed)', () => {
    // The values and lists below are Chrome 143's hello as browserleaks.com reported it
    // (ja4_ro gives the lists in wire order); GREASE entries added to check they are ignored.
    const hex = (s: string) => s.split(',').map((x) => parseInt(x, 16));
    const ch = {
      version: 0x0303,
      supportedVersions: [0x0304, 0x0303],
      cipherSuites: [0x0a0a, ...hex('1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035')],
      extensions: [
        0x1a1a,
        ...hex('002d,0033,0010,fe0d,0017,44cd,0000,000b,000a,002b,ff01,0023,0012,0005,000d,001b'),
        0x2a2a,
      ],
      supportedGroups: [0x3a3a, 4588, 29, 23, 24],
      ecPointFormats: [0],
      signatureAlgorithms: hex('0403,0804,0401,0503,0805,0501,0806,0601'),
      sni: 'tls.browserleaks.com',
      alpn: ['h2', 'http/1.1'],
    };
    expect(ja3(ch)).toEqual({
      text: '771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0',
      hash: '98487aa16281980e7d1120d399efb6a4',
    });
    const j4 = ja4(ch);
    expect(j4.hash).toBe('t13d1516h2_8daaf6152771_d8a2da3f94cd');
    expect(j4.text).toBe(
      't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
    );
    // No SNI, no ALPN, a non-alphanumeric ALPN, no signature algorithms, no extensions.
    expect(ja4({ ...ch, extensions: [13], alpn: [] }).hash.slice(0, 10)).toBe('t13i150100');
    expect(ja4({ ...ch, alpn: ['\u0001x\u00ff'] }).hash.slice(8, 10)).toBe('0f');
    expect(ja4({ ...ch, extensions: [], supportedVersions: [], version: 0x0301 }).hash).toMatch(
      /^t10i1500h2_8daaf6152771_000000000000$/,
    );
  });

  it('JA4 of public/ja4-tls equals what Suricata expects in its test (t12i1810s1_27d4652c4487_06a4338d0495)', () => {
    const { ch } = hellos(join(SHARED_PCAPS, 'public', 'ja4-tls__input.pcap'));
    expect(ch.map((e) => ja4(e).hash)).toEqual(['t12i1810s1_27d4652c4487_06a4338d0495']);
  });

  const withHellos = [...capturesIn(join(SHARED_PCAPS, 'attacks')), ...capturesIn(join(SHARED_PCAPS, 'public'))].filter(
    (f) => /tls|ja4|bug-5881/.test(basename(f)),
  );

  (hasTool('tshark') ? it : it.skip)('the captures with hellos are the ones expected', () => {
    expect(withHellos.map((f) => basename(f))).toEqual([
      'tls-cert-change-a.pcap',
      'bug-5881-01__input.pcap',
      'ja4-sv-handshake__input.pcap',
      'ja4-tls__input.pcap',
      'tls__tls-cert-issuer__tls.pcap',
      'tls__tls-certs-alert__input.pcap',
      'tls__tls-client-hello-frag-01__dump_mtu300.pcap',
      'tls__tls-fingerprint-alert__input.pcap',
      'tls__tls-subjectaltname__input.pcap',
      'tls__tls13-draft28__tls13_draft28.pcap',
    ]);
  });

  (hasTool('tshark') ? it.each : it.skip.each)(withHellos.map((f) => [basename(f), f]))(
    '%s: JA3 and JA3S (string and MD5) equal tshark 4.0 for every hello',
    (_name, file) => {
      const { ch, sh } = hellos(file);
      expect(ch.length + sh.length).toBeGreaterThan(0);
      expect(ch.map((e) => ja3(e).text).sort()).toEqual(tshark(file, 1, 'tls.handshake.ja3_full'));
      expect(ch.map((e) => ja3(e).hash).sort()).toEqual(tshark(file, 1, 'tls.handshake.ja3'));
      expect(sh.map((e) => ja3s(e).text).sort()).toEqual(tshark(file, 2, 'tls.handshake.ja3s_full'));
      expect(sh.map((e) => ja3s(e).hash).sort()).toEqual(tshark(file, 2, 'tls.handshake.ja3s'));
    },
  );
});
