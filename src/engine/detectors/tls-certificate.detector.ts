import type { TlsCertificateConfig } from '../config';
import type {
  ConnectionInfo,
  TlsCertificateEvent,
  TlsCertificateInfo,
  TlsClientHelloEvent,
  TlsServerHelloEvent,
} from '../events';
import type { FindingReport, Severity } from '../finding';
import { ja3, ja3s, ja4 } from '../protocols/tls-fingerprint';
import type { Detector, DetectorContext } from './detector';
import { shown } from '../finding-text';

/** Longest packet text shown (certificate names and issuers in titles). */
const MAX_SHOWN = 80;

/**
 * TLS server certificates (TLS <= 1.2: 1.3 encrypts them) and hello fingerprints.
 *
 * - `tls-certificate-change` (T1557): the leaf certificate last seen for (SNI, or server IP when
 *   there is no SNI, port) changed — what an intercepting proxy looks like to its victims. High
 *   when the new certificate is self-signed or its issuer differs, medium otherwise (a renewal
 *   by the same CA looks the same on the wire). One finding per server key, counting changes.
 * - certificate quality of the leaf, one finding per (kind, certificate), counting sightings:
 *   self-signed (T1587.003), expired / not yet valid at packet time, hostname (SNI) not covered
 *   by the SANs (CN when there are none), RSA key shorter than `minRsaBits`, MD5/SHA-1 signature.
 *
 * Every server seen is kept (bounded) with its certificates and JA3S, and every hello's JA3 /
 * JA4 is attached to the connection's findings: `servers()` lists them for the API.
 */

const MAX_CERTS_PER_SERVER = 4;

interface Hello {
  sni?: string;
  ja3?: string;
  ja4?: string;
  alpn?: string[];
  ja3s?: string;
  version?: number;
}

export interface TlsServerRecord {
  /** SNI or server IP, then port: the key certificate changes are judged by. */
  key: string;
  sni?: string;
  ip: string;
  port: number;
  /** Leaf SHA-256s seen, most recent last (bounded). */
  certificates: string[];
  subject: string;
  issuer: string;
  selfSigned: boolean;
  ja3s?: string;
  /** Negotiated version of the last handshake (e.g. 0x0304), ALPN the client offered. */
  version?: number;
  alpn?: string[];
  /** Client fingerprints of the last handshake. */
  ja3?: string;
  ja4?: string;
  firstSeen: number;
  lastSeen: number;
  /** Frame of the last certificate (0 before any). */
  lastFrame: number;
  /** Handshakes (ServerHellos) seen, and certificate changes. */
  count: number;
  changes: number;
}

export interface TlsCertificateState {
  conns: Array<[string, Hello]>;
  servers: Array<[string, TlsServerRecord]>;
}

function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (p === h) return true;
  // RFC 6125 §6.4.3: a wildcard only as the whole left-most label, matching exactly one label.
  if (p.startsWith('*.')) {
    const dot = h.indexOf('.');
    return dot > 0 && h.slice(dot + 1) === p.slice(2);
  }
  return false;
}

function commonName(subject: string): string | undefined {
  const m = /(?:^|, )CN=([^,]*)/.exec(subject);
  return m === null ? undefined : m[1];
}

export class TlsCertificateDetector implements Detector<TlsCertificateState> {
  readonly id = 'tls-certificate';
  private conns = new Map<string, Hello>();
  private serversByKey = new Map<string, TlsServerRecord>();
  private readonly weakSigs: Set<string>;

  constructor(private readonly config: TlsCertificateConfig) {
    this.weakSigs = new Set(config.weakSignatureAlgorithms.map((s) => s.toLowerCase()));
  }

  /** Every TLS server seen (SNI/IP, port), its certificates and JA3S: the "TLS servers seen" list. */
  servers(): TlsServerRecord[] {
    return [...this.serversByKey.values()].map((s) => structuredClone(s));
  }

  private hello(conn: ConnectionInfo): Hello {
    let h = this.conns.get(conn.id);
    if (h === undefined) {
      if (this.conns.size >= this.config.maxConnections) this.conns.delete(this.conns.keys().next().value!);
      h = {};
      this.conns.set(conn.id, h);
    }
    return h;
  }

  onTlsClientHello(e: TlsClientHelloEvent): void {
    const h = this.hello(e.conn);
    if (e.sni !== undefined) h.sni = e.sni;
    h.ja3 = ja3(e).hash;
    h.ja4 = ja4(e).hash;
    h.alpn = e.alpn.slice(0, 4).map((a) => shown(a, 32));
  }

  onTlsServerHello(e: TlsServerHelloEvent): void {
    const h = this.hello(e.conn);
    h.ja3s = ja3s(e).hash;
    h.version = e.selectedVersion;
    // Every handshake (TLS 1.3 too, whose certificate is encrypted) lists the server.
    const sni = h.sni !== undefined && h.sni.length > 0 ? h.sni.toLowerCase() : undefined;
    const s = this.server(`${sni ?? e.conn.server.ip}:${e.conn.server.port}`, sni, e.conn, e.time);
    s.ja3s = h.ja3s;
    s.version = e.selectedVersion;
    if (h.ja3 !== undefined) s.ja3 = h.ja3;
    if (h.ja4 !== undefined) s.ja4 = h.ja4;
    if (h.alpn !== undefined) s.alpn = h.alpn;
    s.count++;
  }

  private server(key: string, sni: string | undefined, conn: ConnectionInfo, time: number): TlsServerRecord {
    let s = this.serversByKey.get(key);
    if (s === undefined) {
      if (this.serversByKey.size >= this.config.maxServers)
        this.serversByKey.delete(this.serversByKey.keys().next().value!);
      s = {
        key,
        ...(sni !== undefined ? { sni: shown(sni, 253) } : {}),
        ip: conn.server.ip,
        port: conn.server.port,
        certificates: [],
        subject: '',
        issuer: '',
        selfSigned: false,
        firstSeen: time,
        lastSeen: time,
        lastFrame: 0,
        count: 0,
        changes: 0,
      };
      this.serversByKey.set(key, s);
    }
    if (time > s.lastSeen) s.lastSeen = time;
    return s;
  }

  onTlsCertificate(e: TlsCertificateEvent, ctx: DetectorContext): void {
    const leaf = e.chain[0];
    const h = this.conns.get(e.conn.id) ?? {};
    this.conns.delete(e.conn.id);
    if (leaf === undefined) return;
    const server = e.conn.server;
    const sni = h.sni !== undefined && h.sni.length > 0 ? h.sni.toLowerCase() : undefined;
    const key = `${sni ?? server.ip}:${server.port}`;
    const base = {
      time: e.time,
      frame: e.frame,
      src: { ip: server.ip, port: server.port },
      dst: { ip: e.conn.client.ip, port: e.conn.client.port },
    };
    const fp = {
      ...(sni !== undefined ? { sni: shown(sni, 253) } : {}),
      ...(h.ja3 !== undefined ? { ja3: h.ja3 } : {}),
      ...(h.ja4 !== undefined ? { ja4: h.ja4 } : {}),
      ...(h.ja3s !== undefined ? { ja3s: h.ja3s } : {}),
    };
    const certDetails = (c: TlsCertificateInfo) => ({
      sha256: c.sha256,
      subject: shown(c.subject, 200),
      issuer: shown(c.issuer, 200),
      san: c.san.slice(0, 20).map((s) => shown(s, 100)),
      validFrom: c.validFrom,
      validTo: c.validTo,
      keyType: c.keyType,
      keyBits: c.keyBits,
      signatureAlgorithm: c.signatureAlgorithm,
      selfSigned: c.selfSigned,
    });

    const rec = this.server(key, sni, e.conn, e.time);
    const prev = rec.certificates.length > 0 ? rec : undefined;
    if (prev !== undefined && prev.certificates[prev.certificates.length - 1] !== leaf.sha256) {
      prev.changes++;
      const issuerChanged = prev.issuer !== leaf.issuer;
      const severity: Severity = leaf.selfSigned || issuerChanged ? 'high' : 'medium';
      const name = shown(sni ?? server.ip, MAX_SHOWN);
      ctx.report({
        ...base,
        key: `change|${key}`,
        type: 'tls-certificate-change',
        severity,
        mitre: 'T1557',
        title: `TLS certificate changed for ${name}:${server.port}${leaf.selfSigned ? ' (new one self-signed)' : ''}`,
        description:
          `${name} on port ${server.port} (${server.ip}) presented certificate ${leaf.sha256} where ${prev.certificates[prev.certificates.length - 1]} ` +
          `was seen before (frame ${prev.lastFrame})` +
          `${issuerChanged ? `; the issuer changed from "${shown(prev.issuer, MAX_SHOWN)}" to "${shown(leaf.issuer, MAX_SHOWN)}"` : ''}` +
          `${leaf.selfSigned ? '; the new certificate is self-signed' : ''}. A TLS-intercepting man in the middle ` +
          'presents its own certificate; a routine renewal also changes it (same issuer).',
        frames: [prev.lastFrame],
        details: {
          ...fp,
          server: key,
          previousSha256: prev.certificates[prev.certificates.length - 1],
          newSha256: leaf.sha256,
          previousIssuer: shown(prev.issuer, 200),
          previousSelfSigned: prev.selfSigned,
          ...(prev.ja3s !== undefined ? { previousJa3s: prev.ja3s } : {}),
          issuerChanged,
          newSelfSigned: leaf.selfSigned,
          certificate: certDetails(leaf),
        },
        count: prev.changes,
      });
    }
    this.remember(rec, leaf, e);
    this.quality(e, leaf, sni, base, fp, certDetails(leaf), ctx);
  }

  private remember(s: TlsServerRecord, leaf: TlsCertificateInfo, e: TlsCertificateEvent): void {
    const at = s.certificates.indexOf(leaf.sha256);
    if (at >= 0) s.certificates.splice(at, 1);
    s.certificates.push(leaf.sha256);
    if (s.certificates.length > MAX_CERTS_PER_SERVER) s.certificates.shift();
    s.subject = leaf.subject;
    s.issuer = leaf.issuer;
    s.selfSigned = leaf.selfSigned;
    s.lastFrame = e.frame;
  }

  private quality(
    e: TlsCertificateEvent,
    leaf: TlsCertificateInfo,
    sni: string | undefined,
    base: Pick<FindingReport, 'time' | 'frame' | 'src' | 'dst'>,
    fp: Record<string, string>,
    cert: Record<string, unknown>,
    ctx: DetectorContext,
  ): void {
    // RFC 5280 §4.1.2.6 allows an empty subject (names in the SAN only): say so rather than print nothing.
    const subject = shown(commonName(leaf.subject) ?? leaf.subject, MAX_SHOWN) || '(empty subject)';
    const report = (
      kind: string,
      type: string,
      severity: Severity,
      mitre: string,
      title: string,
      why: string,
      extra = {},
    ) =>
      ctx.report({
        ...base,
        key: `${kind}|${leaf.sha256}`,
        type,
        severity,
        mitre,
        title: `${title}: ${subject} (${e.conn.server.ip}:${e.conn.server.port})`,
        description: `${why} Certificate ${leaf.sha256}, subject "${shown(leaf.subject, 200)}", issuer "${shown(leaf.issuer, 200)}".`,
        details: { ...fp, certificate: cert, ...extra },
      });

    if (leaf.selfSigned) {
      report(
        'self-signed',
        'tls-self-signed-certificate',
        'medium',
        'T1587.003',
        'Self-signed TLS certificate',
        'The server presented a certificate signed by its own key: nothing vouches for it, and clients that accept it cannot tell it from an impostor.',
      );
    }
    const from = Date.parse(leaf.validFrom) / 1000;
    const to = Date.parse(leaf.validTo) / 1000;
    if (Number.isFinite(to) && e.time > to) {
      report(
        'expired',
        'tls-certificate-expired',
        'medium',
        'T1557',
        'Expired TLS certificate',
        `The certificate expired on ${leaf.validTo}, before the packet that carried it. Users trained to click through such warnings accept an attacker's certificate as readily.`,
      );
    } else if (Number.isFinite(from) && e.time < from) {
      report(
        'not-yet-valid',
        'tls-certificate-not-yet-valid',
        'medium',
        'T1557',
        'TLS certificate not yet valid',
        `The certificate is valid only from ${leaf.validFrom}, after the packet that carried it (a wrong clock, or a freshly forged certificate).`,
      );
    }
    if (sni !== undefined && this.config.checkHostname && !/^[0-9.]+$|:/.test(sni)) {
      const dnsNames = leaf.san.filter((n) => !/^[0-9.]+$|:/.test(n));
      const cn = commonName(leaf.subject);
      const names = dnsNames.length > 0 ? dnsNames : cn !== undefined && cn !== '' ? [cn] : [];
      if (!names.some((n) => hostMatches(sni, n))) {
        report(
          'hostname',
          'tls-certificate-hostname-mismatch',
          'medium',
          'T1557',
          `TLS certificate does not cover ${shown(sni, MAX_SHOWN)}`,
          `The client asked for ${shown(sni, MAX_SHOWN)} (SNI) but the certificate names ${
            names.length === 0
              ? 'no host at all'
              : names
                  .slice(0, 5)
                  .map((n) => shown(n, MAX_SHOWN))
                  .join(', ')
          }.`,
          { names: names.slice(0, 20).map((n) => shown(n, 100)) },
        );
      }
    }
    if (leaf.keyType === 'rsa' && leaf.keyBits !== undefined && leaf.keyBits < this.config.minRsaBits) {
      report(
        'weak-key',
        'tls-weak-key',
        'medium',
        'T1557',
        `RSA-${leaf.keyBits} TLS certificate`,
        `An RSA key of ${leaf.keyBits} bits is below ${this.config.minRsaBits} bits; it can be factored by a well-funded attacker, who can then impersonate the server.`,
      );
    }
    if (leaf.signatureAlgorithm !== undefined && this.weakSigs.has(leaf.signatureAlgorithm.toLowerCase())) {
      report(
        'weak-signature',
        'tls-weak-signature',
        'medium',
        'T1557',
        `TLS certificate signed with ${leaf.signatureAlgorithm}`,
        `${leaf.signatureAlgorithm} signatures can be forged by chosen-prefix collisions (MD5: Flame, 2012; SHA-1: SHA-mbles, 2020).`,
      );
    }
  }

  snapshot(): TlsCertificateState {
    return { conns: structuredClone([...this.conns]), servers: structuredClone([...this.serversByKey]) };
  }

  restore(s: TlsCertificateState): void {
    this.conns = new Map(structuredClone(s.conns));
    this.serversByKey = new Map(structuredClone(s.servers));
  }
}
