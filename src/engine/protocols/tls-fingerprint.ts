import { createHash } from 'node:crypto';
import type { TlsClientHelloEvent, TlsServerHelloEvent } from '../events';
import { EXT, isGrease } from './tls-handshake';

/**
 * TLS client/server fingerprints from parsed hellos (protocol logic: no detector knows how).
 *
 * - JA3 (Salesforce): `version,ciphers,extensions,groups,point formats` — decimal values joined
 *   by '-', GREASE (RFC 8701) removed — and its MD5. The ClientHello's legacy_version is used.
 * - JA3S: `version,cipher,extensions` of the ServerHello and its MD5.
 * - JA4 (FoxIO, technical_details/JA4.md): `t{ver}{d|i}{nn ciphers}{nn extensions}{alpn}` _
 *   sha256(sorted ciphers)[:12] _ sha256(sorted extensions without SNI/ALPN + '_' + signature
 *   algorithms in order)[:12], GREASE ignored everywhere.
 */

export type ClientHelloFingerprintInput = Pick<
  TlsClientHelloEvent,
  | 'version'
  | 'supportedVersions'
  | 'cipherSuites'
  | 'extensions'
  | 'supportedGroups'
  | 'ecPointFormats'
  | 'signatureAlgorithms'
  | 'sni'
  | 'alpn'
>;
export type ServerHelloFingerprintInput = Pick<TlsServerHelloEvent, 'version' | 'cipherSuite' | 'extensions'>;

export interface Fingerprint {
  /** The string that is hashed (JA3/JA3S full string, or JA4's raw form). */
  text: string;
  hash: string;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha12 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
const noGrease = (list: readonly number[]) => list.filter((v) => !isGrease(v));

export function ja3(ch: ClientHelloFingerprintInput): Fingerprint {
  const text = [
    String(ch.version),
    noGrease(ch.cipherSuites).join('-'),
    noGrease(ch.extensions).join('-'),
    noGrease(ch.supportedGroups).join('-'),
    ch.ecPointFormats.join('-'),
  ].join(',');
  return { text, hash: md5(text) };
}

export function ja3s(sh: ServerHelloFingerprintInput): Fingerprint {
  const text = [String(sh.version), String(sh.cipherSuite), noGrease(sh.extensions).join('-')].join(',');
  return { text, hash: md5(text) };
}

const JA4_VERSIONS: Record<number, string> = {
  0x0304: '13',
  0x0303: '12',
  0x0302: '11',
  0x0301: '10',
  0x0300: 's3',
  0x0002: 's2',
  0xfeff: 'd1',
  0xfefd: 'd2',
  0xfefc: 'd3',
};

const hex4 = (v: number) => v.toString(16).padStart(4, '0');
const two = (n: number) => String(Math.min(n, 99)).padStart(2, '0');
const alnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

function alpnPart(alpn: readonly string[]): string {
  if (alpn.length === 0 || alpn[0].length === 0) return '00';
  const b = Buffer.from(alpn[0], 'latin1');
  if (alnum(b[0]) && alnum(b[b.length - 1])) return String.fromCharCode(b[0], b[b.length - 1]);
  const h = b.toString('hex');
  return h[0] + h[h.length - 1];
}

/** JA4 over TCP ('t'); `text` is the raw (sorted) form, ja4_r in FoxIO's tools. */
export function ja4(ch: ClientHelloFingerprintInput): Fingerprint {
  const versions = noGrease(ch.supportedVersions);
  const version = versions.length ? Math.max(...versions) : ch.version;
  const ciphers = noGrease(ch.cipherSuites);
  const exts = noGrease(ch.extensions);
  const hasSni = exts.includes(EXT.SERVER_NAME);
  const a = `t${JA4_VERSIONS[version] ?? '00'}${hasSni ? 'd' : 'i'}${two(ciphers.length)}${two(exts.length)}${alpnPart(ch.alpn)}`;
  const cList = [...ciphers]
    .sort((x, y) => x - y)
    .map(hex4)
    .join(',');
  const eList = exts
    .filter((e) => e !== EXT.SERVER_NAME && e !== EXT.ALPN)
    .sort((x, y) => x - y)
    .map(hex4)
    .join(',');
  const sigs = noGrease(ch.signatureAlgorithms).map(hex4).join(',');
  const c = sigs ? `${eList}_${sigs}` : eList;
  const b = ciphers.length ? sha12(cList) : '000000000000';
  const cHash = exts.length ? sha12(c) : '000000000000';
  return { text: `${a}_${cList}_${c}`, hash: `${a}_${b}_${cHash}` };
}
