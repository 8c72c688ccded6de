import fc from 'fast-check';
import { join } from 'node:path';
import { FIXTURES } from '../../../test/support/paths';
import { arbitraryCertificate, damagedCertificate } from '../../../test/support/x509-arbitrary';
import { readCapture } from '../capture/read-capture';
import { resolveConfig } from '../config';
import { TlsCertificateDetector } from '../detectors/tls-certificate.detector';
import type { ConnectionInfo, StreamDataEvent, TlsCertificateEvent, TlsCertificateInfo } from '../events';
import type { FindingReport } from '../finding';
import { Pipeline } from '../pipeline';
import { parseCertificate } from './tls-certificate';
import { parseCertificateList } from './tls-handshake';
import { TlsParser } from './tls.parser';

const EDGE = join(FIXTURES, 'tls-edge-certs', 'input.pcap');
/** fast-check runs per property; X509_FUZZ_RUNS scales them (the seed is printed on failure). */
const RUNS = Number(process.env.X509_FUZZ_RUNS ?? 150);

/** Every Certificate message of a capture through the whole pipeline, strict: a throw fails the test. */
async function certificateEvents(file: string): Promise<TlsCertificateEvent[]> {
  const out: TlsCertificateEvent[] = [];
  const pipeline = new Pipeline({
    captureId: 'edge',
    detectors: [new TlsCertificateDetector(resolveConfig().detectors['tls-certificate'])],
    observers: [{ onTlsCertificate: (e: TlsCertificateEvent) => out.push(e) }],
    containErrors: false,
  });
  await readCapture(file, { source: file, onPacket: (r) => pipeline.push(r) });
  pipeline.finish();
  return out;
}

describe('X.509 edge cases recorded with openssl (fixtures/tls-edge-certs)', () => {
  let byPort: Map<number, TlsCertificateEvent>;
  beforeAll(async () => {
    byPort = new Map((await certificateEvents(EDGE)).map((e) => [e.conn.server.port, e]));
  });
  const leaf = (port: number): TlsCertificateInfo => {
    const e = byPort.get(port);
    expect(e).toBeDefined();
    expect(e!.unparsable).toBe(0);
    return e!.chain[0];
  };

  it('sees all eleven certificates, each with its chain as the recording script served it', () => {
    expect([...byPort.keys()].sort()).toEqual([...Array(11).keys()].map((i) => 44301 + i));
    // scripts/record-tls-edge-certs.sh sends the CA after the leaf for ports 44302–44305.
    expect([...byPort].map(([p, e]) => [p, e.chain.length]).sort()).toEqual(
      [...Array(11).keys()].map((i) => [44301 + i, i >= 1 && i <= 4 ? 2 : 1]),
    );
  });

  it('an empty subject and issuer are empty strings (node leaves them undefined), self-signed', () => {
    expect(leaf(44301)).toMatchObject({
      subject: '',
      issuer: '',
      san: [],
      selfSigned: true,
      keyType: 'rsa',
      keyBits: 2048,
    });
  });

  it('an empty subject with the names in the SAN; an empty issuer', () => {
    expect(leaf(44302)).toMatchObject({
      subject: '',
      issuer: 'CN=Edge Test CA',
      san: ['san-only.test'],
      selfSigned: false,
    });
    expect(leaf(44303)).toMatchObject({ subject: 'CN=empty-issuer.test', issuer: '', selfSigned: false });
  });

  it('v1 without extensions; 1000 SANs across several records', () => {
    expect(leaf(44304)).toMatchObject({ subject: 'CN=v1.test', san: [] });
    const many = leaf(44305).san;
    expect(many).toHaveLength(1000);
    expect(many[0]).toBe('h0001.many.test');
    expect(many[999]).toBe('many.test');
  });

  it('key types: Ed25519, Ed448, RSA-PSS, brainpool, DSA', () => {
    expect(
      [44306, 44307, 44308, 44309, 44311].map((p) => [leaf(p).keyType, leaf(p).keyBits, leaf(p).selfSigned]),
    ).toEqual([
      ['ed25519', 256, true],
      ['ed448', 456, true],
      ['rsa-pss', 2048, true],
      ['ec', 384, true],
      ['dsa', 2048, true],
    ]);
  });

  it('hostile names come through as text; a validity in year 99xx parses', () => {
    const c = leaf(44310);
    // As node prints a DN (RFC 2253 escapes): the markup stays text for whoever shows it to escape.
    expect(c.subject).toBe(`CN=\\<img src=x onerror=alert(1)\\>.test, O=Ünïcødé \\"q\\" 'x' & co, OU=/etc/passwd`);
    expect(Number(c.validTo.slice(0, 4))).toBeGreaterThan(9000);
  });
});

describe('certificate path under generated and damaged X.509 (fast-check)', () => {
  const conn: ConnectionInfo = {
    id: 'c1',
    transport: 'tcp',
    client: { ip: '10.0.0.5', port: 40000 },
    server: { ip: '192.0.2.7', port: 443 },
    startTime: 1_700_000_000,
  };

  /** TLS records (≤ 16 KiB each) carrying one Certificate handshake message with these DERs. */
  function certificateRecords(ders: Buffer[]): Buffer {
    const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
    const list = Buffer.concat(ders.map((d) => Buffer.concat([u24(d.length), d])));
    const body = Buffer.concat([u24(list.length), list]);
    const msg = Buffer.concat([Buffer.from([11]), u24(body.length), body]);
    const out: Buffer[] = [];
    for (let at = 0; at < msg.length; at += 16384) {
      const frag = msg.subarray(at, at + 16384);
      out.push(Buffer.from([22, 3, 3, frag.length >> 8, frag.length & 0xff]), frag);
    }
    return Buffer.concat(out);
  }

  /** DER → parser → detector, as the pipeline wires them, with nothing caught on the way. */
  function throughParserAndDetector(ders: Buffer[]): { events: number; reports: FindingReport[] } {
    const reports: FindingReport[] = [];
    const detector = new TlsCertificateDetector(resolveConfig().detectors['tls-certificate']);
    const ctx = { report: (r: FindingReport) => reports.push(r) };
    let events = 0;
    const parser = new TlsParser(
      conn,
      {
        onTlsCertificate: (e) => {
          events++;
          detector.onTlsCertificate(e, ctx);
        },
      },
      { maxHandshakeBytes: resolveConfig().protocols.maxHandshakeBytes },
    );
    parser.onData({
      conn,
      dir: 'toClient',
      data: certificateRecords(ders),
      frame: 3,
      time: 1_700_000_001,
      streamOffset: 0,
    });
    // Its state must survive a chunk boundary whatever the certificates held (plain JSON).
    const state = detector.snapshot();
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    return { events, reports };
  }

  function wellFormed(info: TlsCertificateInfo | null): void {
    if (info === null) return;
    for (const k of ['sha256', 'subject', 'issuer', 'validFrom', 'validTo', 'serialNumber'] as const)
      expect(typeof info[k]).toBe('string');
    expect(Array.isArray(info.san) && info.san.every((s) => typeof s === 'string')).toBe(true);
    expect(typeof info.selfSigned).toBe('boolean');
  }

  it('generated certificates: parseCertificate never throws and answers a well-formed record or null', () => {
    fc.assert(
      fc.property(arbitraryCertificate(), (der) => {
        wellFormed(parseCertificate(der));
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it('generated chains through the TLS parser and the detector: one event per message, no exception', () => {
    fc.assert(
      fc.property(fc.array(arbitraryCertificate(), { minLength: 1, maxLength: 3 }), (ders) => {
        expect(throughParserAndDetector(ders).events).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('byte-level damage to the recorded certificates: no exception anywhere on the path', async () => {
    const ders = (await serverHandshakeMessages(EDGE, 11)).flatMap((body) => parseCertificateList(body) ?? []);
    expect(ders).toHaveLength(15); // eleven leaves and four CA certificates
    fc.assert(
      fc.property(fc.array(damagedCertificate(ders), { minLength: 1, maxLength: 2 }), (chain) => {
        chain.forEach((d) => wellFormed(parseCertificate(d)));
        expect(throughParserAndDetector(chain).events).toBeLessThanOrEqual(1);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

/**
 * Bodies of the server's handshake messages of one type, from the reassembled streams the
 * pipeline hands its subscribers (records unwrapped, messages split across records joined).
 */
async function serverHandshakeMessages(file: string, type: number): Promise<Buffer[]> {
  const streams = new Map<string, Buffer[]>();
  const pipeline = new Pipeline({
    captureId: 'edge',
    detectors: [],
    observers: [
      {
        onStreamData: (e: StreamDataEvent) => {
          if (e.dir !== 'toClient') return;
          const parts = streams.get(e.conn.id) ?? [];
          parts.push(Buffer.from(e.data));
          streams.set(e.conn.id, parts);
        },
      },
    ],
    containErrors: false,
  });
  await readCapture(file, { source: file, onPacket: (r) => pipeline.push(r) });
  pipeline.finish();
  const out: Buffer[] = [];
  for (const parts of streams.values()) {
    const s = Buffer.concat(parts);
    const hs: Buffer[] = [];
    for (let at = 0; at + 5 <= s.length && s[at] === 22; at += 5 + s.readUInt16BE(at + 3))
      hs.push(s.subarray(at + 5, at + 5 + s.readUInt16BE(at + 3)));
    const h = Buffer.concat(hs);
    for (let at = 0; at + 4 <= h.length; at += 4 + h.readUIntBE(at + 1, 3))
      if (h[at] === type) out.push(h.subarray(at + 4, at + 4 + h.readUIntBE(at + 1, 3)));
  }
  return out;
}
