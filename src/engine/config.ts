/**
 * Engine configuration: every threshold is a named option with a documented default
 * (DESIGN.md §3, in the spirit of Zeek's &redef constants). `netwarden analyze --config FILE`
 * takes a JSON file with any subset of these keys; unknown keys are an error so a typo
 * doesn't silently fall back to a default.
 */

export interface PacketAnomalyConfig {
  /**
   * IP protocol numbers that are not "unusual". Default: the protocols an ordinary enterprise
   * network carries (IANA numbers): HOPOPT 0, ICMP 1, IGMP 2, IPIP 4, TCP 6, UDP 17, IPv6 41,
   * IPv6-Route 43, IPv6-Frag 44, GRE 47, ESP 50, AH 51, ICMPv6 58, IPv6-NoNxt 59, IPv6-Opts 60,
   * OSPF 89, PIM 103, VRRP 112, L2TP 115, SCTP 132, UDPLite 136.
   */
  allowedIpProtocols: number[];
  /** Distinct sources tracked per anomaly kind before further sources are aggregated ("sampling"). */
  maxSourcesPerKind: number;
  /**
   * A first fragment carrying fewer TCP bytes than this is a "tiny fragment". Default 20, a whole
   * TCP header without options: RFC 1858 §3.1 — filters judge the header, so it must be in the
   * first fragment (the decoder's tinyFirstFragments counter uses the same bound).
   */
  tinyFragmentBytes: number;
}

/**
 * Virtual router MACs that legitimately answer for a shared gateway address: VRRP
 * 00:00:5e:00:01:{VRID} (RFC 5798 §7.3) and 00:00:5e:00:02:{VRID} for IPv6, HSRP v1
 * 00:00:0c:07:ac:{group} and v2 00:00:0c:9f:f{group} (Cisco HSRP configuration guide), GLBP
 * 00:07:b4:. Prefixes of the lowercase colon form.
 */
const VIRTUAL_ROUTER_MAC_PREFIXES = [
  '00:00:5e:00:01:',
  '00:00:5e:00:02:',
  '00:00:0c:07:ac:',
  '00:00:0c:9f:f',
  '00:07:b4:',
];

export interface ArpSpoofConfig {
  /**
   * A MAC counts as alive when it sent a frame this recently (s, packet time); an IP taken over
   * by a new MAC while the previous one is alive is a conflict, after a longer silence it is a
   * NIC swap / new DHCP lease and not an alert. 300 s: Linux keeps an unused neighbour entry at
   * most gc_stale_time (60 s) + base_reachable_time jitter before re-resolving, so a live host
   * talking on the LAN re-ARPs well within 5 minutes.
   */
  aliveWindow: number;
  /** A reply counts as solicited when its request was seen this recently (s). 5 s: Linux retries a request every retrans_time (1 s) for mcast_solicit (3) tries. */
  requestWindow: number;
  /**
   * Unsolicited, non-gratuitous replies from one MAC within `unsolicitedWindow` that make a
   * finding. 5 in 60 s: arpspoof/ettercap re-poison every 1–10 s; a couple of stray replies
   * whose request predates the capture must not alert.
   */
  unsolicitedReplies: number;
  unsolicitedWindow: number;
  /**
   * Distinct IPs one MAC may claim before it is a poisoner pattern. 8: multi-homed hosts and
   * containers hosts carry a handful of addresses; "arpspoof -t" against a subnet or ettercap's
   * full-LAN poisoning claims every address. Proxy-ARP routers belong in proxyArpMacs.
   */
  manyIpsThreshold: number;
  /** MAC prefixes allowed to answer for a shared address (VRRP/HSRP/GLBP virtual MACs). */
  virtualMacPrefixes: string[];
  /** MACs of routers doing proxy ARP (RFC 1027): they answer for other hosts' IPs by design. Default none. */
  proxyArpMacs: string[];
  /** IP bindings and stations (MACs) tracked; the least recently seen is dropped beyond these. */
  maxBindings: number;
  maxStations: number;
}

export interface GatewayMacConfig {
  /** Gateway IPv4 addresses. Default none: inferred from DHCP option 3, else from traffic. */
  gateways: string[];
  /**
   * Packets between a private and a public address one MAC must carry before it is taken as the
   * gateway MAC (when no gateway is configured or seen in DHCP), and the share of all such
   * packets it must hold. 50 packets / 0.8: a few TCP handshakes' worth, and a clear majority.
   */
  inferMinPackets: number;
  inferMinShare: number;
  /** Virtual router MAC prefixes (see arp-spoof). */
  virtualMacPrefixes: string[];
}

export interface TlsCertificateConfig {
  /** RSA keys shorter than this are weak. 2048: NIST SP 800-131A rev. 2 (112-bit security), CA/B Forum Baseline Requirements §6.1.5. */
  minRsaBits: number;
  /**
   * Leaf signature algorithms that are weak (names as tls-certificate.ts prints them). MD5 and
   * SHA-1: CA/B Forum Baseline Requirements §7.1.3.2 forbid both; chosen-prefix collisions exist.
   */
  weakSignatureAlgorithms: string[];
  /** Report a certificate whose SANs (CN when there are none) do not cover the SNI (RFC 6125). */
  checkHostname: boolean;
  /** Servers (SNI or IP, port) remembered, and connections waiting for their certificate. */
  maxServers: number;
  maxConnections: number;
}

export interface DnsSpoofConfig {
  /** A query waits this long (s) for its responses. 10 s: past glibc's 5 s timeout and dig's 5 s × retries. */
  queryTimeout: number;
  /**
   * Differing responses to one query within this many seconds of the first are a race. 1 s: a
   * forger and the resolver answer within milliseconds; a client retransmits after 1 s at the
   * earliest (glibc/dig 5 s, Windows 1 s), so answers to a retransmit fall outside.
   */
  raceWindow: number;
  /** Responses matching no query, per client, that make a finding (in bulk): 10 in 10 s — Kaminsky-style guessing sends thousands. */
  unsolicitedResponses: number;
  unsolicitedWindow: number;
  /**
   * Names under these suffixes may resolve to internal addresses (no rebinding finding):
   * special-use and home/corporate names (RFC 6761, RFC 6762 .local, RFC 8375 home.arpa, ICANN's
   * 2024 .internal, and the common .lan/.home/.corp/.localdomain). Add split-horizon domains.
   */
  rebindAllowedSuffixes: string[];
  /** Queries awaiting responses, and clients tracked for unsolicited responses. */
  maxPending: number;
}

export interface PortScanConfig {
  /**
   * Distinct ports of ONE target with failed attempts before a vertical scan is reported.
   * Default 15: Zeek's `Scan::port_scan_threshold` (policy/misc/scan.zeek, 15.0).
   */
  portScanThreshold: number;
  /**
   * Distinct targets with failed attempts on ONE port before a horizontal scan (and distinct
   * hosts probed before a host sweep) is reported. Default 25: Zeek's `Scan::addr_scan_threshold` (25.0).
   */
  addrScanThreshold: number;
  /**
   * A block scan (many ports on many hosts) needs at least this many targets AND this many ports
   * with failed attempts. Default 5 each: netwarden's choice — below that one of the two other
   * thresholds is the better description.
   */
  blockScanHosts: number;
  blockScanPorts: number;
  /**
   * Window (s, packet time) over which one scanner's failed attempts are counted; one finding per
   * scanner per window. Default 300: Zeek's `Scan::port_scan_interval` and `Scan::addr_scan_interval` (5 min).
   */
  interval: number;
  /**
   * A probe with no answer after this long (s, packet time) is "unanswered" (a failed attempt).
   * Default 5: Zeek's `tcp_attempt_delay` (init-bare.zeek, 5 secs), after which Zeek raises connection_attempt.
   */
  attemptTimeout: number;
  /**
   * UDP datagrams with at most this many payload bytes are tracked as probes (nmap -sU sends empty
   * datagrams to ports it has no payload for). Default 8: netwarden's choice, "empty or near-empty".
   */
  udpProbeMaxPayload: number;
  /** Probes awaiting an answer, all scanners together; beyond it the oldest is treated as unanswered. */
  maxPendingAttempts: number;
  /** Scanners tracked at once; beyond it the one whose window started first is closed early. */
  maxScanners: number;
  /** Distinct (target, port) pairs kept per scanner; further attempts are counted, not itemised ("sampling"). */
  maxPairsPerScanner: number;
}

export interface SynFloodConfig {
  /**
   * Incomplete handshakes per second (SYNs to one ip:port not completed by the client's ACK within
   * the same second) that make a second "hot". Default 50: ntopng's `syn_flood_victim` host check
   * (scripts/callbacks/interface/host/alerts/syn_flood_victim.lua, "gt 50" SYN/s).
   */
  minIncompleteRate: number;
  /** Share of that second's SYNs that must be incomplete (a busy server completes most). Default 0.5: netwarden's choice. */
  minIncompleteRatio: number;
  /**
   * A half-open entry not completed after this long (s) counts as timed out. Default 5: Zeek's
   * `tcp_attempt_delay` (5 secs).
   */
  handshakeTimeout: number;
  /** An episode ends after this many seconds (packet time) without a hot second. Default 30: netwarden's choice. */
  episodeGap: number;
  /** Half-open handshakes tracked, all targets together; beyond it the oldest expires early (noted in the finding). */
  maxHalfOpen: number;
  /** Targets (ip:port) tracked at once; beyond it the least recently active is dropped. */
  maxTargets: number;
  /** Sources counted individually per episode; beyond it distinct sources are estimated (noted in the finding). */
  maxSourcesPerEpisode: number;
  /** Sources named in the finding (the busiest first). */
  topSources: number;
}

export interface TcpHijackConfig {
  /**
   * Pure ACKs per second in EACH direction of one connection, with no payload in either, that make
   * an ACK storm (two desynchronised ends acknowledging each other's out-of-window segments,
   * Joncheray 1995). Default 50: netwarden's choice — idle connections send none, keep-alives one a minute.
   */
  ackStormRate: number;
  /**
   * Data starting more than this many bytes beyond the receiver's advertised window (scaled) is
   * "outside the window". Default 0: RFC 9293 §3.10.7.4 — the receiver must not accept it.
   */
  windowSlack: number;
  /** Connections tracked (from their SYN-ACK), and handshakes (SYN only) apart; the oldest eighth is dropped beyond it. */
  maxConnections: number;
  /** A SYN not answered by a SYN-ACK after this long (s) is forgotten. Default 5: Zeek's tcp_attempt_delay. */
  handshakeTimeout: number;
  /** A connection idle this long (s, packet time) is forgotten. 300: Zeek's tcp_inactivity_timeout, as reassembly. */
  idleTimeout: number;
}

export interface ConnectionRateConfig {
  /**
   * New connections (completed TCP handshakes + new UDP flows that got an answer) from one source in
   * one window that make an episode. Default 3000 per 60 s = 50/s: ntopng's `flow_flood_attacker`
   * host check ("gt 50" flows/s).
   */
  threshold: number;
  /** Window length (s, packet time). Default 60: ntopng evaluates that check once a minute. */
  window: number;
  /** A UDP flow idle this long (s) ends; the next datagram starts a new flow. 60: Zeek's udp_inactivity_timeout (1 min). */
  udpFlowTimeout: number;
  /** A handshake not completed after this long (s) is forgotten. Default 5: Zeek's tcp_attempt_delay. */
  handshakeTimeout: number;
  /** Sources tracked at once. */
  maxSources: number;
  /** Pending handshakes + UDP flows tracked; the oldest is dropped beyond it. */
  maxFlows: number;
}

export interface ThreatIntelConfig {
  /**
   * Also match private, loopback, link-local, CGNAT, multicast and reserved addresses (RFC 1918,
   * 6598, 3927, 4193, 4291, 5771, 1112) against the feeds. Default false: broad lists such as FireHOL
   * level1 deliberately include the bogon ranges (10.0.0.0/8, 192.168.0.0/16, 224.0.0.0/3 …) for
   * edge firewalls, which would turn every LAN packet into a "blocklisted" hit. Turn it on for
   * feeds of known-bad INTERNAL hosts.
   */
  matchSpecialUseAddresses: boolean;
  /**
   * DNS answer records examined per message (A/AAAA addresses, CNAME targets). Default 32: a
   * CDN answer carries a few CNAMEs and up to ~16 addresses; a forged giant answer stays bounded.
   */
  maxDnsAnswers: number;
}

export interface EngineConfig {
  decode: {
    /** IP fragment reassembly timeout (s, packet time). 30 s as Linux' ipfrag_time default. */
    fragmentTimeout: number;
    /** Datagrams being reassembled at once; beyond this the oldest is dropped. */
    maxFragmentDatagrams: number;
    /** Bytes held in pending fragments, all datagrams together. */
    maxFragmentBytes: number;
  };
  reassembly: {
    /** Concurrent TCP streams tracked; the least recently active is evicted beyond this. */
    maxStreams: number;
    /** Out-of-order bytes buffered per direction before the hole is declared lost. */
    maxBufferedPerDirection: number;
    /** Out-of-order bytes buffered over all streams. */
    maxBufferedTotal: number;
    /** A stream idle this long (s, packet time) is closed. 300 s, Zeek's tcp_inactivity_timeout default. */
    idleTimeout: number;
  };
  /** Findings kept per capture; further new findings are counted and dropped (existing ones still update). */
  maxFindings: number;
  /** Evidence frame numbers kept per finding (the total is always counted). */
  maxEvidenceFrames: number;
  detectors: {
    'packet-anomaly': PacketAnomalyConfig;
    'arp-spoof': ArpSpoofConfig;
    'gateway-mac': GatewayMacConfig;
    'tls-certificate': TlsCertificateConfig;
    'dns-spoof': DnsSpoofConfig;
    'port-scan': PortScanConfig;
    'syn-flood': SynFloodConfig;
    'tcp-hijack': TcpHijackConfig;
    'connection-rate': ConnectionRateConfig;
    'threat-intel': ThreatIntelConfig;
  };
}

export const DEFAULT_CONFIG: EngineConfig = {
  decode: {
    fragmentTimeout: 30,
    maxFragmentDatagrams: 4096,
    maxFragmentBytes: 32 * 1024 * 1024,
  },
  reassembly: {
    maxStreams: 65536,
    maxBufferedPerDirection: 256 * 1024,
    maxBufferedTotal: 64 * 1024 * 1024,
    idleTimeout: 300,
  },
  maxFindings: 10000,
  maxEvidenceFrames: 50,
  detectors: {
    'packet-anomaly': {
      allowedIpProtocols: [0, 1, 2, 4, 6, 17, 41, 43, 44, 47, 50, 51, 58, 59, 60, 89, 103, 112, 115, 132, 136],
      maxSourcesPerKind: 256,
      tinyFragmentBytes: 20,
    },
    'arp-spoof': {
      aliveWindow: 300,
      requestWindow: 5,
      unsolicitedReplies: 5,
      unsolicitedWindow: 60,
      manyIpsThreshold: 8,
      virtualMacPrefixes: [...VIRTUAL_ROUTER_MAC_PREFIXES],
      proxyArpMacs: [],
      maxBindings: 65536,
      maxStations: 65536,
    },
    'gateway-mac': {
      gateways: [],
      inferMinPackets: 50,
      inferMinShare: 0.8,
      virtualMacPrefixes: [...VIRTUAL_ROUTER_MAC_PREFIXES],
    },
    'tls-certificate': {
      minRsaBits: 2048,
      weakSignatureAlgorithms: ['md5WithRSAEncryption', 'sha1WithRSAEncryption', 'ecdsa-with-SHA1', 'dsa-with-SHA1'],
      checkHostname: true,
      maxServers: 10000,
      maxConnections: 4096,
    },
    'dns-spoof': {
      queryTimeout: 10,
      raceWindow: 1,
      unsolicitedResponses: 10,
      unsolicitedWindow: 10,
      rebindAllowedSuffixes: [
        'local',
        'localhost',
        'localdomain',
        'lan',
        'home',
        'home.arpa',
        'internal',
        'intranet',
        'corp',
        'private',
        'test',
        'example',
        'invalid',
        'arpa',
      ],
      maxPending: 10000,
    },
    'port-scan': {
      portScanThreshold: 15,
      addrScanThreshold: 25,
      blockScanHosts: 5,
      blockScanPorts: 5,
      interval: 300,
      attemptTimeout: 5,
      udpProbeMaxPayload: 8,
      maxPendingAttempts: 65536,
      maxScanners: 4096,
      maxPairsPerScanner: 16384,
    },
    'syn-flood': {
      minIncompleteRate: 50,
      minIncompleteRatio: 0.5,
      handshakeTimeout: 5,
      episodeGap: 30,
      maxHalfOpen: 65536,
      maxTargets: 4096,
      maxSourcesPerEpisode: 1024,
      topSources: 10,
    },
    'tcp-hijack': {
      ackStormRate: 50,
      windowSlack: 0,
      maxConnections: 65536,
      handshakeTimeout: 5,
      idleTimeout: 300,
    },
    'connection-rate': {
      threshold: 3000,
      window: 60,
      udpFlowTimeout: 60,
      handshakeTimeout: 5,
      maxSources: 4096,
      maxFlows: 65536,
    },
    'threat-intel': {
      matchSpecialUseAddresses: false,
      maxDnsAnswers: 32,
    },
  },
};

export class ConfigError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Deep-merge `override` into a copy of `base`, refusing keys `base` doesn't have and type changes. */
function merge<T>(base: T, override: Json, path: string): T {
  if (override === null || typeof override !== 'object' || Array.isArray(override)) {
    throw new ConfigError(`${path || 'config'} must be an object`);
  }
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(override)) {
    const where = path ? `${path}.${key}` : key;
    if (!(key in out)) throw new ConfigError(`unknown configuration key "${where}"`);
    const current = out[key];
    if (Array.isArray(current)) {
      if (!Array.isArray(value)) throw new ConfigError(`${where} must be an array`);
      out[key] = value;
    } else if (current !== null && typeof current === 'object') {
      out[key] = merge(current, value, where);
    } else if (typeof current !== typeof value) {
      throw new ConfigError(`${where} must be a ${typeof current}`);
    } else {
      out[key] = value;
    }
  }
  return out as T;
}

export function resolveConfig(override?: unknown): EngineConfig {
  if (override === undefined) return structuredClone(DEFAULT_CONFIG);
  return merge(structuredClone(DEFAULT_CONFIG), override as Json, '');
}
