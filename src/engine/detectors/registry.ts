import type { EngineConfig } from '../config';
import type { Detector } from './detector';
import type { DetectorResources } from './detector-resources';
import { ArpSpoofDetector } from './arp-spoof.detector';
import { DnsSpoofDetector } from './dns-spoof.detector';
import { GatewayMacDetector } from './gateway-mac.detector';
import { PacketAnomalyDetector } from './packet-anomaly.detector';
import { TlsCertificateDetector } from './tls-certificate.detector';
import { PortScanDetector } from './port-scan.detector';
import { SynFloodDetector } from './syn-flood.detector';
import { TcpHijackDetector } from './tcp-hijack.detector';
import { ConnectionRateDetector } from './connection-rate.detector';
import { PlaintextCredentialsDetector } from './plaintext-credentials.detector';
import { createNetworkBaselineDetector } from './network-baseline.detector';
import { CleartextHttpDetector } from './cleartext-http.detector';
import { InsecureProtocolDetector } from './insecure-protocol.detector';
import { ThreatIntelDetector } from './threat-intel.detector';

/**
 * Every detector the engine knows, as one array (ghostfolio's rules-as-plugins idea): the CLI,
 * the workers and the tests all build their detector set from here, so adding a detector is
 * one file plus one line.
 */
export interface DetectorDefinition {
  id: string;
  description: string;
  create(config: EngineConfig, resources: DetectorResources): Detector;
}

export const DETECTORS: readonly DetectorDefinition[] = [
  {
    id: 'packet-anomaly',
    description:
      'Malformed packets, invalid TCP flags, LAND, fragment overlap and tiny fragments, unusual IP protocols, IP options, TTL 0, broadcast/multicast sources',
    create: (c) => new PacketAnomalyDetector(c.detectors['packet-anomaly']),
  },
  {
    id: 'arp-spoof',
    description:
      'ARP cache poisoning: an IP claimed by a second live MAC (flip-flop), one MAC claiming many IPs, unsolicited replies in bulk, Ethernet source differing from the ARP sender',
    create: (c) => new ArpSpoofDetector(c.detectors['arp-spoof']),
  },
  {
    id: 'gateway-mac',
    description:
      'Default gateway MAC change: the gateway IP (configured, DHCP option 3, or inferred from off-subnet traffic) claimed in ARP by another MAC',
    create: (c) => new GatewayMacDetector(c.detectors['gateway-mac']),
  },
  {
    id: 'tls-certificate',
    description:
      'TLS certificate change per (SNI or server IP, port) — possible MITM — and weak certificates: self-signed, expired or not yet valid at packet time, hostname not in SANs, RSA < 2048, MD5/SHA-1 signatures; JA3/JA3S/JA4 in evidence',
    create: (c) => new TlsCertificateDetector(c.detectors['tls-certificate']),
  },
  {
    id: 'dns-spoof',
    description:
      'DNS spoofing: differing answers racing for one query, responses from a server that was not asked, unsolicited responses in bulk, public names answered with internal addresses (rebinding)',
    create: (c) => new DnsSpoofDetector(c.detectors['dns-spoof']),
  },
  {
    id: 'port-scan',
    description:
      'Vertical, horizontal and block port scans (SYN, connect, FIN, NULL, XMAS, Maimon, ACK, UDP) and ICMP/ARP host sweeps, from failed attempts only',
    create: (c) => new PortScanDetector(c.detectors['port-scan']),
  },
  {
    id: 'syn-flood',
    description:
      'SYN floods per target ip:port: incomplete handshakes per second, SYN/SYN-ACK/ACK ratios, distinct (possibly spoofed) sources; one finding per episode',
    create: (c) => new SynFloodDetector(c.detectors['syn-flood']),
  },
  {
    id: 'tcp-hijack',
    description:
      'TCP session hijack indicators: ACK storms, data outside the window or conflicting with delivered bytes, mid-session TTL/MAC change, RST injection, duplicate sessions on one 4-tuple',
    create: (c) => new TcpHijackDetector(c.detectors['tcp-hijack']),
  },
  {
    id: 'connection-rate',
    description:
      'Sources opening new connections (completed TCP handshakes, answered UDP flows) above an absolute rate; one finding per episode',
    create: (c) => new ConnectionRateDetector(c.detectors['connection-rate']),
  },
  {
    id: 'plaintext-credentials',
    description:
      'Credentials sent in clear, masked: FTP USER/PASS, Telnet logins, HTTP Basic/Bearer and login forms, POP3 USER/PASS and APOP, IMAP LOGIN/AUTHENTICATE, POP3/SMTP AUTH PLAIN/LOGIN, SNMP communities, LDAP simple binds; with the login outcome',
    create: (c) => new PlaintextCredentialsDetector(c.detectors['plaintext-credentials']),
  },
  {
    id: 'network-baseline',
    description:
      "Learned network baseline (needs --baseline): new hosts, MACs, listening services and protocols; hourly volume or connection rate far above a host's learned normal; new external peers in bulk",
    create: (c, r) => createNetworkBaselineDetector(c.detectors['network-baseline'], r),
  },
  {
    id: 'cleartext-http',
    description:
      'Unencrypted web: plain HTTP summarised per (Host, server ip:port) — requests, methods, paths, clients — raised to medium when an Authorization header, session cookie, login form or password field travels in it (names only, never values); possible SSL stripping: HTTP content from a host seen on HTTPS in the same capture',
    create: (c) => new CleartextHttpDetector(c.detectors['cleartext-http']),
  },
  {
    id: 'insecure-protocol',
    description:
      'Cleartext or obsolete protocols by content: Telnet, FTP/POP3/IMAP/SMTP without a TLS upgrade, TFTP, rlogin/rsh/rexec, LDAP simple binds, SNMP v1/v2c, SMBv1, VNC without encryption, HTTP Basic; one finding per (client, server, protocol) with counts',
    create: (c) => new InsecureProtocolDetector(c.detectors['insecure-protocol']),
  },
  {
    id: 'threat-intel',
    description:
      'Traffic touching threat-intelligence indicators (needs loaded feeds: analyze --intel): IPv4/IPv6 addresses and CIDRs, DNS query names and answers, TLS SNI, HTTP Host and URL; names the feed, the indicator and the field',
    create: (c, r) => new ThreatIntelDetector(c.detectors['threat-intel'], r.intel),
  },
];

export class UnknownDetectorError extends Error {}

/** Throws UnknownDetectorError naming the ids that are not registered. */
export function assertKnownDetectors(ids: readonly string[]): void {
  const known = new Set(DETECTORS.map((d) => d.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length) {
    throw new UnknownDetectorError(
      `unknown detector ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${[...known].join(', ')})`,
    );
  }
}

/** Fresh detector instances (each capture needs its own state); `only` selects by id. */
export function createDetectors(
  config: EngineConfig,
  only?: readonly string[],
  resources: DetectorResources = {},
): Detector[] {
  if (only) assertKnownDetectors(only);
  return DETECTORS.filter((d) => !only || only.includes(d.id)).map((d) => d.create(config, resources));
}
