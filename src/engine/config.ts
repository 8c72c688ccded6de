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
    'port-scan': PortScanConfig;
    'syn-flood': SynFloodConfig;
    'tcp-hijack': TcpHijackConfig;
    'connection-rate': ConnectionRateConfig;
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
