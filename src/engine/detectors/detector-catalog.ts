/**
 * Every detector's id and one-line description, in registry order: plain data with no import, so
 * `netwarden --help` and `netwarden detectors` can name the detectors without loading the engine
 * (the registry pulls in every detector and its protocol parsers).
 */
export interface DetectorInfo {
  id: string;
  description: string;
}

export const DETECTOR_CATALOG = [
  {
    id: 'packet-anomaly',
    description:
      'Malformed packets, invalid TCP flags, LAND, fragment overlap and tiny fragments, unusual IP protocols, IP options, TTL 0, broadcast/multicast sources',
  },
  {
    id: 'arp-spoof',
    description:
      'ARP cache poisoning: an IP claimed by a second live MAC (flip-flop), one MAC claiming many IPs, unsolicited replies in bulk, Ethernet source differing from the ARP sender',
  },
  {
    id: 'gateway-mac',
    description:
      'Default gateway MAC change: the gateway IP (configured, DHCP option 3, or inferred from off-subnet traffic) claimed in ARP by another MAC',
  },
  {
    id: 'tls-certificate',
    description:
      'TLS certificate change per (SNI or server IP, port) — possible MITM — and weak certificates: self-signed, expired or not yet valid at packet time, hostname not in SANs, RSA < 2048, MD5/SHA-1 signatures; JA3/JA3S/JA4 in evidence',
  },
  {
    id: 'dns-spoof',
    description:
      'DNS spoofing: differing answers racing for one query, responses from a server that was not asked, unsolicited responses in bulk, public names answered with internal addresses (rebinding)',
  },
  {
    id: 'port-scan',
    description:
      'Vertical, horizontal and block port scans (SYN, connect, FIN, NULL, XMAS, Maimon, ACK, UDP) and ICMP/ARP host sweeps, from failed attempts only',
  },
  {
    id: 'syn-flood',
    description:
      'SYN floods per target ip:port: incomplete handshakes per second, SYN/SYN-ACK/ACK ratios, distinct (possibly spoofed) sources; one finding per episode',
  },
  {
    id: 'tcp-hijack',
    description:
      'TCP session hijack indicators: ACK storms, data outside the window or conflicting with delivered bytes, mid-session TTL/MAC change, RST injection, duplicate sessions on one 4-tuple',
  },
  {
    id: 'connection-rate',
    description:
      'Sources opening new connections (completed TCP handshakes, answered UDP flows) above an absolute rate; one finding per episode',
  },
  {
    id: 'plaintext-credentials',
    description:
      'Credentials sent in clear, masked: FTP USER/PASS, Telnet logins, HTTP Basic/Bearer and login forms, POP3 USER/PASS and APOP, IMAP LOGIN/AUTHENTICATE, POP3/SMTP AUTH PLAIN/LOGIN, SNMP communities, LDAP simple binds; with the login outcome',
  },
  {
    id: 'network-baseline',
    description:
      "Learned network baseline (needs --baseline): new hosts, MACs, listening services and protocols; hourly volume or connection rate far above a host's learned normal; new external peers in bulk",
  },
  {
    id: 'cleartext-http',
    description:
      'Unencrypted web: plain HTTP summarised per (Host, server ip:port) — requests, methods, paths, clients — raised to medium when an Authorization header, session cookie, login form or password field travels in it (names only, never values); possible SSL stripping: HTTP content from a host seen on HTTPS in the same capture',
  },
  {
    id: 'insecure-protocol',
    description:
      'Cleartext or obsolete protocols by content: Telnet, FTP/POP3/IMAP/SMTP without a TLS upgrade, TFTP, rlogin/rsh/rexec, LDAP simple binds, SNMP v1/v2c, SMBv1, VNC without encryption, HTTP Basic; one finding per (client, server, protocol) with counts',
  },
  {
    id: 'threat-intel',
    description:
      'Traffic touching threat-intelligence indicators (needs loaded feeds: analyze --intel): IPv4/IPv6 addresses and CIDRs, DNS query names and answers, TLS SNI, HTTP Host and URL; names the feed, the indicator and the field',
  },
] as const satisfies readonly DetectorInfo[];

export type DetectorId = (typeof DETECTOR_CATALOG)[number]['id'];
