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
