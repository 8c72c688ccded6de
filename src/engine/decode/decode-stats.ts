/** Counters the decoder keeps; a plain object so it serialises as-is into snapshots and reports. */
export interface DecodeStats {
  /** Every record handed to decode(). */
  packets: number;
  /** Packets with p.malformed set, and the same split by reason. */
  malformed: number;
  malformedByReason: Record<string, number>;
  /** Packets of link types we do not decode, by LINKTYPE_* value. */
  unknownLinkType: Record<string, number>;
  /** IPv4/IPv6 fragments seen, and datagrams completed from them. */
  fragments: number;
  reassembled: number;
  /** Fragments that overlapped data already held, and those whose overlapping bytes differed. */
  fragmentOverlaps: number;
  fragmentOverlapsConflicting: number;
  /** First fragments too small to hold the transport header (RFC 1858 tiny-fragment evasion). */
  tinyFirstFragments: number;
  /** Fragments whose end lies beyond the 65535-byte datagram limit ("ping of death"). */
  fragmentsTooLarge: number;
  /** Datagrams dropped unfinished: timed out, or evicted because a cap was reached. */
  fragmentTimeouts: number;
  fragmentEvictions: number;
}

export function newDecodeStats(): DecodeStats {
  return {
    packets: 0,
    malformed: 0,
    malformedByReason: {},
    unknownLinkType: {},
    fragments: 0,
    reassembled: 0,
    fragmentOverlaps: 0,
    fragmentOverlapsConflicting: 0,
    tinyFirstFragments: 0,
    fragmentsTooLarge: 0,
    fragmentTimeouts: 0,
    fragmentEvictions: 0,
  };
}
