/**
 * The rows the traffic summary hands to the database after each chunk. Every value is absolute
 * (the collector's current total, never an increment), so writing the same row twice — a chunk
 * retried after a crash — changes nothing. Times are packet time in seconds; strings taken from
 * packets are already cut to printable ASCII (shown()).
 */

/** One connection (TCP) or flow (UDP, ICMP, other IP): key = its first frame (unique in a capture). */
export interface FlowRow {
  firstFrame: number;
  lastFrame: number;
  /** 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'ip-<protocol number>'. */
  transport: string;
  /** The side that sent the first packet (the SYN; the SYN-ACK's receiver when the SYN was missed). */
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  /** Application protocol the dispatcher recognised (tls, http, ftp, ...) or 'dns'; null when unknown. */
  app: string | null;
  packetsToServer: number;
  bytesToServer: number;
  packetsToClient: number;
  bytesToClient: number;
  firstSeen: number;
  lastSeen: number;
  /** OR of the TCP flag bytes seen each way (0 for other transports). */
  flagsToServer: number;
  flagsToClient: number;
  /** TCP only: syn, established, fin, closed, reset, midstream; null otherwise. */
  state: string | null;
  /** No more packets will be counted into this row (idle expiry, eviction, end of capture). */
  final: boolean;
}

/** One IP address; key = (ip, firstFrame): an address evicted at the cap and seen again gets a new row. */
export interface HostRow {
  ip: string;
  firstFrame: number;
  /** Source MACs of its packets (a routed host shows its gateway's MAC), at most MAX_MACS. */
  macs: string[];
  internal: boolean;
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  firstSeen: number;
  lastSeen: number;
}

/** A TLS server as seen with one certificate (or none: TLS 1.3 encrypts it); key = (ip, port, sni, sha256, firstFrame). */
export interface TlsRow {
  serverIp: string;
  serverPort: number;
  sni: string | null;
  /** Leaf certificate SHA-256 (hex), null when no certificate was seen. */
  sha256: string | null;
  subject: string | null;
  issuer: string | null;
  validFrom: string | null;
  validTo: string | null;
  selfSigned: boolean | null;
  /** Negotiated TLS version of the last handshake counted (e.g. 0x0303), null when unknown. */
  version: number | null;
  firstFrame: number;
  lastFrame: number;
  firstSeen: number;
  lastSeen: number;
  /** Handshakes counted: certificates seen (TLS ≤ 1.2), ServerHellos (TLS 1.3). */
  count: number;
}

export interface PacketsBytes {
  packets: number;
  bytes: number;
}

/** Traffic in one minute of packet time; key = (minute, firstFrame): a bucket expired and seen again gets a new row. */
export interface BucketRow {
  /** Start of the minute, seconds since the epoch. */
  minute: number;
  firstFrame: number;
  packets: number;
  bytes: number;
  /** tcp, udp, icmp, arp, other. */
  protocols: Record<string, PacketsBytes>;
  /** Application protocols of the packets whose flow's protocol was known at that packet. */
  apps: Record<string, PacketsBytes>;
}

export interface SummaryDelta {
  flows: FlowRow[];
  hosts: HostRow[];
  tls: TlsRow[];
  buckets: BucketRow[];
}
