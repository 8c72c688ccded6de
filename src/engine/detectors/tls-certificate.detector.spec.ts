import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SHARED_PCAPS, capturesIn, hasTool } from '../../../test/support/paths';
import { analyzeCapture } from '../analyze-capture';
import { CaptureParser } from '../capture/capture-parser';
import { resolveConfig } from '../config';
import type { Finding } from '../finding';
import { Pipeline } from '../pipeline';
import { TlsCertificateDetector } from './tls-certificate.detector';

const TSHARK = hasTool('tshark');
const OPENSSL = hasTool('openssl');

async function run(file: string): Promise<Finding[]> {
  const a = await analyzeCapture(file, file, { config: resolveConfig(), detectors: ['tls-certificate'] });
  expect(a.errors).toEqual([]);
  return a.findings;
}

function tshark(file: string, filter: string, fields: string[]): string[][] {
  const args = [
    '-o',
    'tcp.reassemble_out_of_order:TRUE',
    '-r',
    file,
    '-Y',
    filter,
    '-T',
    'fields',
    '-E',
    'occurrence=f',
  ];
  for (const f of fields) args.push('-e', f);
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
}

/** Leaf certificates as tshark extracts them: frame, packet time, the DER, the SNI of the stream's ClientHello. */
function leafCertificates(file: string): Array<{ frame: number; time: number; der: Buffer; sni?: string }> {
  const sni = new Map(
    tshark(file, 'tls.handshake.type == 1', ['tcp.stream', 'tls.handshake.extensions_server_name']).map(
      ([s, n]) => [s, n] as const,
    ),
  );
  return tshark(file, 'tls.handshake.certificate', [
    'frame.number',
    'frame.time_epoch',
    'tcp.stream',
    'tls.handshake.certificate',
  ]).map(([frame, time, stream, hex]) => ({
    frame: Number(frame),
    time: Number(time),
    der: Buffer.from(hex.replace(/:/g, ''), 'hex'),
    sni: sni.get(stream) || undefined,
  }));
}

/** SHA-256 fingerprint of a DER certificate as openssl prints it, in our lowercase form. */
function opensslSha256(der: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'nw-cert-'));
  try {
    writeFileSync(join(dir, 'c.der'), der);
    const out = execFileSync(
      'openssl',
      ['x509', '-inform', 'DER', '-in', join(dir, 'c.der'), '-noout', '-fingerprint', '-sha256'],
      {
        encoding: 'utf8',
      },
    );
    return out.trim().split('=')[1].replace(/:/g, '').toLowerCase();
  } finally {
    rmSync(dir, { recursive: true });
  }
}

function opensslSignatureAlgorithm(der: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'nw-cert-'));
  try {
    writeFileSync(join(dir, 'c.der'), der);
    const out = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', join(dir, 'c.der'), '-noout', '-text'], {
      encoding: 'utf8',
    });
    return /Signature Algorithm: (\S+)/.exec(out)![1];
  } finally {
    rmSync(dir, { recursive: true });
  }
}

describe('tls-certificate detector: certificate change (attacks/tls-cert-change-a.pcap)', () => {
  const file = join(SHARED_PCAPS, 'attacks', 'tls-cert-change-a.pcap');

  (TSHARK && OPENSSL ? it : it.skip)(
    'bank.test on 10.231.0.20:443: both SHA-256s (checked with openssl on the DER tshark extracts), new one self-signed',
    async () => {
      const certs = leafCertificates(file);
      expect(certs.map((c) => [c.frame, c.sni])).toEqual([
        [6, 'bank.test'],
        [23, 'bank.test'],
      ]);
      const [first, second] = certs.map((c) => opensslSha256(c.der));
      expect(first).not.toBe(second);
      const f = await run(file);
      const change = f.filter((x) => x.type === 'tls-certificate-change');
      expect(change).toHaveLength(1);
      expect(change[0]).toMatchObject({
        severity: 'high',
        mitre: 'T1557',
        count: 1,
        title: 'TLS certificate changed for bank.test:443 (new one self-signed)',
        src: { ip: '10.231.0.20', port: 443 },
        dst: { ip: '10.231.0.10' },
        evidence: {
          frames: [23, 6],
          sni: 'bank.test',
          server: 'bank.test:443',
          previousSha256: first,
          newSha256: second,
          previousSelfSigned: true,
          newSelfSigned: true,
          issuerChanged: false,
          certificate: { sha256: second, subject: 'CN=bank.test', issuer: 'CN=bank.test', keyBits: 2048 },
        },
      });
      // The client's and the server's fingerprints are part of the evidence.
      expect(change[0].evidence).toEqual(
        expect.objectContaining({
          ja3: expect.stringMatching(/^[0-9a-f]{32}$/),
          ja3s: expect.stringMatching(/^[0-9a-f]{32}$/),
        }),
      );
      expect(change[0].evidence.ja4).toMatch(/^t12d\d{4}/);
      // Both certificates are self-signed: one self-signed finding each.
      expect(f.filter((x) => x.type !== 'tls-certificate-change').map((x) => [x.type, x.evidence.frames])).toEqual([
        ['tls-self-signed-certificate', [6]],
        ['tls-self-signed-certificate', [23]],
      ]);
    },
  );

  it('lists the server with both certificates and its JA3S (the "TLS servers seen" record)', () => {
    const d = new TlsCertificateDetector(resolveConfig().detectors['tls-certificate']);
    const p = new Pipeline({ captureId: 'x', config: resolveConfig(), detectors: [d] });
    const parser = new CaptureParser({ source: file, onPacket: (r) => p.push(r) });
    parser.write(readFileSync(file));
    parser.end();
    p.finish();
    expect(d.servers()).toEqual([
      expect.objectContaining({
        key: 'bank.test:443',
        sni: 'bank.test',
        ip: '10.231.0.20',
        port: 443,
        certificates: [expect.any(String), expect.any(String)],
        selfSigned: true,
        version: 0x0303,
        count: 2,
        changes: 1,
        lastFrame: 23,
      }),
    ]);
  });
});

describe('tls-certificate detector: certificate quality, expectations computed from the certificates', () => {
  const files = [...capturesIn(join(SHARED_PCAPS, 'attacks')), ...capturesIn(join(SHARED_PCAPS, 'public'))].filter(
    (f) => /tls|ja4/.test(basename(f)),
  );

  /** What each leaf deserves, judged by node:crypto and openssl on tshark's bytes (not by our parser). */
  function expected(file: string) {
    const out = new Map<string, { type: string; sha256: string; frames: number[] }>();
    for (const c of leafCertificates(file)) {
      const x = new X509Certificate(c.der);
      const sha256 = opensslSha256(c.der);
      const kinds: string[] = [];
      if (x.issuer === x.subject && x.verify(x.publicKey)) kinds.push('tls-self-signed-certificate');
      if (c.time > Date.parse(x.validTo) / 1000) kinds.push('tls-certificate-expired');
      else if (c.time < Date.parse(x.validFrom) / 1000) kinds.push('tls-certificate-not-yet-valid');
      if (c.sni !== undefined && x.checkHost(c.sni) === undefined) kinds.push('tls-certificate-hostname-mismatch');
      const bits = x.publicKey.asymmetricKeyDetails?.modulusLength;
      if (x.publicKey.asymmetricKeyType === 'rsa' && bits !== undefined && bits < 2048) kinds.push('tls-weak-key');
      if (/^(md5|sha1)With|ecdsa-with-SHA1/.test(opensslSignatureAlgorithm(c.der))) kinds.push('tls-weak-signature');
      for (const type of kinds) {
        const k = `${type}|${sha256}`;
        const e = out.get(k) ?? { type, sha256, frames: [] };
        e.frames.push(c.frame);
        out.set(k, e);
      }
    }
    return [...out.values()].sort((a, b) => (a.type + a.sha256 < b.type + b.sha256 ? -1 : 1));
  }

  (TSHARK && OPENSSL ? it.each : it.skip.each)(files.map((f) => [basename(f), f]))(
    '%s: exactly the certificate-quality findings the certificates deserve',
    async (_name, file) => {
      const f = (await run(file)).filter((x) => x.type !== 'tls-certificate-change');
      const got = f
        .map((x) => ({
          type: x.type,
          sha256: (x.evidence.certificate as { sha256: string }).sha256,
          frames: x.evidence.frames,
        }))
        .sort((a, b) => (a.type + a.sha256 < b.type + b.sha256 ? -1 : 1));
      expect(got).toEqual(expected(file));
      for (const x of f) expect(x.count).toBe(x.evidence.frames.length);
    },
  );

  (TSHARK && OPENSSL ? it : it.skip)('the expectations are not empty: what the public captures hold', async () => {
    // Spelled out so a change in the captures or the judgement shows: the SELKS test certificate
    // (self-signed, sha1WithRSAEncryption), CloudShark's "tls" (self-signed, RSA-1024, asked for
    // as "dogfish"), mamzon.ru (self-signed, expired before the capture).
    const summary = async (name: string) =>
      (await run(join(SHARED_PCAPS, 'public', name))).map((x) => [x.type, x.count]).sort();
    expect(await summary('tls__tls-cert-issuer__tls.pcap')).toEqual([
      ['tls-self-signed-certificate', 4],
      ['tls-weak-signature', 4],
    ]);
    expect(await summary('ja4-sv-handshake__input.pcap')).toEqual([
      ['tls-certificate-hostname-mismatch', 1],
      ['tls-self-signed-certificate', 1],
      ['tls-weak-key', 1],
    ]);
    expect(await summary('tls__tls-subjectaltname__input.pcap')).toEqual([
      ['tls-certificate-expired', 11],
      ['tls-self-signed-certificate', 11],
    ]);
    for (const clean of [
      'tls__tls-certs-alert__input.pcap',
      'tls__tls-client-hello-frag-01__dump_mtu300.pcap',
      'tls__tls-fingerprint-alert__input.pcap',
      'tls__tls13-draft28__tls13_draft28.pcap',
    ])
      expect(await summary(clean)).toEqual([]);
  });

  it.each(
    [...capturesIn(join(SHARED_PCAPS, 'attacks')), ...capturesIn(join(SHARED_PCAPS, 'public'))]
      .filter((f) => !/tls|ja4/.test(basename(f)))
      .map((f) => [basename(f), f]),
  )('%s: no finding (no certificate in it)', async (_name, file) => {
    expect(await run(file)).toEqual([]);
  });
});

describe('tls-certificate detector: change severity (synthetic events)', () => {
  const conn = (n: number) => ({
    id: `c${n}`,
    transport: 'tcp' as const,
    client: { ip: '10.0.0.5', port: 40000 + n },
    server: { ip: '192.0.2.7', port: 443 },
    startTime: n,
  });
  const cert = (sha: string, issuer: string, selfSigned = false) => ({
    sha256: sha,
    subject: 'CN=shop.example',
    issuer,
    san: ['shop.example'],
    validFrom: '2020-01-01T00:00:00.000Z',
    validTo: '2030-01-01T00:00:00.000Z',
    serialNumber: '01',
    keyType: 'ec',
    keyBits: 256,
    signatureAlgorithm: 'ecdsa-with-SHA256',
    selfSigned,
  });
  function changes(certs: ReturnType<typeof cert>[]) {
    const reports: Array<{ type: string; severity: string; count?: number }> = [];
    const d = new TlsCertificateDetector(resolveConfig().detectors['tls-certificate']);
    const ctx = { report: (r: { type: string; severity: string; count?: number }) => reports.push(r) };
    certs.forEach((c, i) => {
      const t = 1_700_000_000 + i;
      d.onTlsClientHello({
        conn: conn(i),
        frame: i * 10 + 1,
        time: t,
        version: 0x0303,
        supportedVersions: [],
        cipherSuites: [0xc02f],
        extensions: [0],
        supportedGroups: [],
        ecPointFormats: [],
        signatureAlgorithms: [],
        sni: 'shop.example',
        alpn: [],
      });
      d.onTlsCertificate({ conn: conn(i), frame: i * 10 + 3, time: t, chain: [c], unparsable: 0 }, ctx);
    });
    return reports.filter((r) => r.type === 'tls-certificate-change').map((r) => [r.severity, r.count]);
  }

  it('same certificate again: nothing; renewal by the same CA: medium; new issuer: high', () => {
    expect(changes([cert('aa', 'CN=CA 1'), cert('aa', 'CN=CA 1')])).toEqual([]);
    expect(changes([cert('aa', 'CN=CA 1'), cert('bb', 'CN=CA 1')])).toEqual([['medium', 1]]);
    expect(changes([cert('aa', 'CN=CA 1'), cert('bb', 'CN=Interceptor')])).toEqual([['high', 1]]);
    expect(changes([cert('aa', 'CN=CA 1'), cert('bb', 'CN=CA 1'), cert('aa', 'CN=CA 1')])).toEqual([
      ['medium', 1],
      ['medium', 2],
    ]);
  });
});
