import { dstIp, srcIp, srcMac } from '../decode/address';
import type { DecodedPacket } from '../decode/decoded-packet';
import type {
  AppProtocolEvent,
  ConnectionInfo,
  DnsMessageEvent,
  SnmpMessageEvent,
  StreamCloseEvent,
  StreamDataEvent,
  StreamGapEvent,
  TelnetTextEvent,
  TftpReplyEvent,
  TftpRequestEvent,
} from '../events';
import type { StreamSink } from '../reassembly/tcp-reassembler';
import { decodeDnsMessage, looksLikeDns } from './dns-message';
import { DnsTcpParser, type DnsTcpState } from './dns.parser';
import { FtpParser } from './ftp.parser';
import { HttpParser, type HttpHandlers, type HttpState } from './http.parser';
import { ImapParser } from './imap.parser';
import { LdapParser, type LdapHandlers, type LdapState } from './ldap.parser';
import type { LineHandlers, LineParserState } from './line-protocol.parser';
import { Pop3Parser } from './pop3.parser';
import { MORE, NONE, SNIFF_LIMIT, sniff, type SniffedProtocol } from './protocol-sniffer';
import { RemoteShellParser, type RemoteShellHandlers, type RemoteShellState } from './rservices.parser';
import { SmbParser, type SmbHandlers, type SmbState } from './smb.parser';
import { SmtpParser } from './smtp.parser';
import { decodeSnmp, looksLikeSnmp, type UdpMeta } from './snmp';
import { appendBytes, b64, EMPTY, fromB64, type StreamParser } from './stream-parser';
import { TelnetParser, type TelnetState } from './telnet.parser';
import { decodeTftp, TftpTracker, type TftpTrackerState } from './tftp';
import { VncParser, type VncHandlers, type VncState } from './vnc.parser';
import { TlsParser, type TlsHandlers, type TlsState } from './tls.parser';

/**
 * The single entry point the pipeline uses for application protocols: UDP datagrams (DNS) and
 * reassembled TCP stream events. Each connection's protocol is chosen by content sniffing
 * (port as a hint) and gets its own parser; all state is JSON-serialisable.
 */

export type ProtocolName = SniffedProtocol | 'snmp' | 'tftp';

export interface ProtocolHandlers
  extends TlsHandlers, HttpHandlers, LineHandlers, LdapHandlers, SmbHandlers, VncHandlers, RemoteShellHandlers {
  onDns?(e: DnsMessageEvent): void;
  onTelnetText?(e: TelnetTextEvent): void;
  onSnmp?(e: SnmpMessageEvent): void;
  onTftpRequest?(e: TftpRequestEvent): void;
  onTftpReply?(e: TftpReplyEvent): void;
  /** A TCP connection's protocol was recognised (whether or not its parser is enabled). */
  onAppProtocol?(e: AppProtocolEvent): void;
}

export interface ProtocolOptions {
  /** Connections with parser state at once; the oldest is dropped beyond it. */
  maxConnections: number;
  /** Longest line FTP/POP3/IMAP/SMTP keep (RFC 5321 allows 1000; IMAP lines run longer). */
  maxLineLength: number;
  /** HTTP head size and header count bounds. */
  maxHeaderBytes: number;
  maxHeaders: number;
  /** Body bytes kept per HTTP message, requests and responses, for inspection (the rest is counted). */
  maxBody: number;
  /** TLS handshake bytes buffered per direction (certificate chains can pass 64 KiB). */
  maxHandshakeBytes: number;
  /** Largest LDAP message decoded (binds are small; bigger messages, e.g. search results, are skipped). */
  maxLdapMessage: number;
}

export const DEFAULT_PROTOCOL_OPTIONS: ProtocolOptions = {
  maxConnections: 65536,
  maxLineLength: 8192,
  maxHeaderBytes: 64 * 1024,
  maxHeaders: 100,
  maxBody: 64 * 1024,
  maxHandshakeBytes: 256 * 1024,
  maxLdapMessage: 64 * 1024,
};

/** UDP ports where DNS is expected (DNS, mDNS, LLMNR). */
const DNS_UDP_PORTS = new Set([53, 5353, 5355]);
/**
 * Ports whose protocols borrow DNS's wire format without being DNS: NetBIOS name service (137)
 * and datagrams (138). Their encoded names ("EJFDEBFE…") are not DNS names; tshark calls them NBNS.
 */
const DNS_LOOKALIKE_PORTS = new Set([137, 138]);

/** Small-integer summary of a connection's ports: a cheap "certainly no entry" pre-check. */
function portsTag(c: ConnectionInfo): number {
  return ((c.client.port << 15) ^ c.server.port) & 0x3fffffff;
}

interface Entry {
  conn: ConnectionInfo;
  proto: ProtocolName | typeof NONE | null;
  sniff: [Buffer, Buffer];
  parser: StreamParser | null;
}

export interface DispatcherState {
  v: 1;
  /** TFTP requests awaiting their first reply (absent in states from before TFTP). */
  tftp?: TftpTrackerState;
  stats: DispatcherStats;
  conns: { conn: ConnectionInfo; proto: ProtocolName | typeof NONE | null; sniff: [string, string]; state: unknown }[];
}

export interface DispatcherStats {
  dnsUdp: number;
  dnsMalformed: number;
  /** SNMP messages and TFTP requests decoded from UDP. */
  snmpUdp?: number;
  tftpUdp?: number;
  connections: Record<string, number>;
}

export class ProtocolDispatcher implements StreamSink {
  readonly stats: DispatcherStats = { dnsUdp: 0, dnsMalformed: 0, connections: {} };
  private readonly opts: ProtocolOptions;
  private readonly conns = new Map<string, Entry>();
  /**
   * Live entries per portsTag. Most connections (scans) close without ever carrying data, so
   * have no entry; this answers that without hashing their id string.
   */
  private readonly tags = new Map<number, number>();
  /** The entry onData found last, for the run of data events of one connection. */
  private lastConn: ConnectionInfo | null = null;
  private lastEntry: Entry | null = null;
  private readonly dnsOn: boolean;
  private readonly snmpOn: boolean;
  private readonly tftpOn: boolean;
  private readonly udpOn: boolean;
  private readonly tftp = new TftpTracker();

  constructor(
    private readonly handlers: ProtocolHandlers,
    private readonly enabled: ReadonlySet<ProtocolName>,
    opts?: Partial<ProtocolOptions>,
  ) {
    this.opts = { ...DEFAULT_PROTOCOL_OPTIONS, ...(opts ?? {}) };
    this.dnsOn = enabled.has('dns');
    this.snmpOn = enabled.has('snmp');
    this.tftpOn = enabled.has('tftp');
    this.udpOn = this.dnsOn || this.snmpOn || this.tftpOn;
  }

  onUdp(p: DecodedPacket): void {
    if (!this.udpOn || p.ipProto !== 17 || p.l4Off < 0 || p.malformed !== null) return;
    const len = p.payloadLen;
    const b = p.l4Buf;
    const off = p.payloadOff;
    const onPort = DNS_UDP_PORTS.has(p.srcPort) || DNS_UDP_PORTS.has(p.dstPort);
    // SNMP and TFTP by content (a full structural match), never on the DNS ports.
    if (!onPort && len >= 4) {
      if (this.snmpOn && b[off] === 0x30 && looksLikeSnmp(b, off, len)) {
        const ev = decodeSnmp(b, off, len, this.udpMeta(p));
        if (ev !== null) {
          this.stats.snmpUdp = (this.stats.snmpUdp ?? 0) + 1;
          this.handlers.onSnmp?.(ev);
          return;
        }
      }
      if (this.tftpOn && b[off] === 0 && (b[off + 1] === 1 || b[off + 1] === 2)) {
        const ev = decodeTftp(b, off, len, this.udpMeta(p));
        if (ev !== null) {
          this.stats.tftpUdp = (this.stats.tftpUdp ?? 0) + 1;
          this.tftp.request(ev);
          this.handlers.onTftpRequest?.(ev);
          return;
        }
      }
      if (this.tftpOn && b[off] === 0 && this.tftp.size > 0) {
        const ev = this.tftp.reply(b, off, len, this.udpMeta(p));
        if (ev !== null) {
          this.handlers.onTftpReply?.(ev);
          return;
        }
      }
    }
    if (!this.dnsOn) return;
    // Off the DNS ports demand a plain one-question message before paying for a decode.
    if (!onPort && (DNS_LOOKALIKE_PORTS.has(p.srcPort) || DNS_LOOKALIKE_PORTS.has(p.dstPort))) return;
    if (!looksLikeDns(b, off, len)) return;
    if (!onPort && (((b[off + 4] << 8) | b[off + 5]) !== 1 || ((b[off + 2] >> 3) & 0xf) !== 0)) return;
    // Copy: the reader reuses the packet buffer and decoded records may reference it.
    const msg = Buffer.from(b.subarray(off, off + len));
    const ev = decodeDnsMessage(msg, { ...this.udpMeta(p), transport: 'udp', srcMac: srcMac(p) });
    if (ev === null) {
      if (onPort) this.stats.dnsMalformed++;
      return;
    }
    if (ev.srcMac === undefined) delete ev.srcMac;
    this.stats.dnsUdp++;
    if (this.handlers.onDns !== undefined) this.handlers.onDns(ev);
  }

  private udpMeta(p: DecodedPacket): UdpMeta {
    return {
      frame: p.frame,
      time: p.time,
      src: { ip: srcIp(p) ?? '', port: p.srcPort },
      dst: { ip: dstIp(p) ?? '', port: p.dstPort },
    };
  }

  onData(e: StreamDataEvent): void {
    let entry: Entry | undefined;
    if (e.conn === this.lastConn) {
      entry = this.lastEntry as Entry;
    } else {
      entry = this.conns.get(e.conn.id);
      if (entry === undefined) entry = this.add(e.conn);
      this.lastConn = e.conn;
      this.lastEntry = entry;
    }
    if (entry.proto === NONE) return;
    if (entry.parser !== null) {
      if (!entry.parser.done) entry.parser.onData(e);
      return;
    }
    const i = e.dir === 'toServer' ? 0 : 1;
    const seen = appendBytes(entry.sniff[i], e.data);
    let r = sniff(e.dir, seen, e.conn);
    if (r === MORE && seen.length >= SNIFF_LIMIT) r = NONE;
    if (r === MORE) {
      entry.sniff[i] = Buffer.from(seen);
      return;
    }
    if (r !== NONE && this.handlers.onAppProtocol !== undefined)
      this.handlers.onAppProtocol({ conn: e.conn, protocol: r, frame: e.frame, time: e.time });
    if (r === NONE || !this.enabled.has(r)) {
      entry.proto = NONE;
      entry.sniff = [EMPTY, EMPTY];
      return;
    }
    this.start(entry, r, null);
    // Replay what was held back while sniffing: the other direction first (it came earlier).
    const other = entry.sniff[1 - i];
    entry.sniff = [EMPTY, EMPTY];
    const parser = entry.parser as StreamParser | null;
    if (parser === null) return;
    if (other.length > 0) parser.onData({ ...e, dir: i === 0 ? 'toClient' : 'toServer', data: other });
    if (!parser.done) parser.onData({ ...e, data: seen });
  }

  onGap(e: StreamGapEvent): void {
    if (!this.tags.has(portsTag(e.conn))) return;
    const entry = this.conns.get(e.conn.id);
    if (entry === undefined) return;
    if (entry.parser !== null) entry.parser.onGap(e);
    else entry.sniff[e.dir === 'toServer' ? 0 : 1] = EMPTY;
  }

  onClose(e: StreamCloseEvent): void {
    if (!this.tags.has(portsTag(e.conn))) return;
    const entry = this.conns.get(e.conn.id);
    if (entry === undefined) return;
    if (entry.parser !== null) entry.parser.onClose(e);
    this.drop(e.conn.id, entry);
  }

  snapshot(): DispatcherState {
    const conns: DispatcherState['conns'] = [];
    for (const x of this.conns.values()) {
      conns.push({
        conn: x.conn,
        proto: x.proto,
        sniff: [b64(x.sniff[0]), b64(x.sniff[1])],
        state: x.parser === null ? null : x.parser.snapshot(),
      });
    }
    return {
      v: 1,
      stats: { ...this.stats, connections: { ...this.stats.connections } },
      conns,
      ...(this.tftp.size > 0 ? { tftp: this.tftp.snapshot() } : {}),
    };
  }

  restore(s: DispatcherState): void {
    this.conns.clear();
    this.tags.clear();
    this.lastConn = null;
    this.lastEntry = null;
    this.stats.dnsUdp = s.stats.dnsUdp;
    this.stats.dnsMalformed = s.stats.dnsMalformed;
    this.tftp.restore(s.tftp);
    if (s.stats.snmpUdp !== undefined) this.stats.snmpUdp = s.stats.snmpUdp;
    if (s.stats.tftpUdp !== undefined) this.stats.tftpUdp = s.stats.tftpUdp;
    this.stats.connections = { ...s.stats.connections };
    for (const c of s.conns) {
      const entry: Entry = {
        conn: c.conn,
        proto: c.proto,
        sniff: [fromB64(c.sniff[0]), fromB64(c.sniff[1])],
        parser: null,
      };
      if (c.proto !== null && c.proto !== NONE) this.start(entry, c.proto, c.state);
      if (this.conns.has(c.conn.id)) this.untag(this.conns.get(c.conn.id) as Entry);
      this.conns.set(c.conn.id, entry);
      this.tag(entry);
    }
  }

  private add(conn: ConnectionInfo): Entry {
    if (this.conns.size >= this.opts.maxConnections) {
      for (const [k, old] of this.conns) {
        this.drop(k, old);
        break;
      }
    }
    const entry: Entry = { conn, proto: null, sniff: [EMPTY, EMPTY], parser: null };
    this.conns.set(conn.id, entry);
    this.tag(entry);
    return entry;
  }

  private drop(id: string, entry: Entry): void {
    this.conns.delete(id);
    this.untag(entry);
    if (this.lastEntry === entry) {
      this.lastConn = null;
      this.lastEntry = null;
    }
  }

  private tag(entry: Entry): void {
    const t = portsTag(entry.conn);
    this.tags.set(t, (this.tags.get(t) ?? 0) + 1);
  }

  private untag(entry: Entry): void {
    const t = portsTag(entry.conn);
    const n = (this.tags.get(t) ?? 0) - 1;
    if (n > 0) this.tags.set(t, n);
    else this.tags.delete(t);
  }

  private start(entry: Entry, proto: ProtocolName, state: unknown): void {
    entry.proto = proto;
    const restoring = state !== null && state !== undefined;
    if (!restoring) this.stats.connections[proto] = (this.stats.connections[proto] ?? 0) + 1;
    const h = this.handlers;
    const o = this.opts;
    const line = { maxLineLength: o.maxLineLength };
    const ls = restoring ? (state as LineParserState) : undefined;
    switch (proto) {
      case 'dns':
        entry.parser = new DnsTcpParser(entry.conn, h.onDns?.bind(h), restoring ? (state as DnsTcpState) : undefined);
        break;
      case 'tls':
        entry.parser = new TlsParser(
          entry.conn,
          h,
          { maxHandshakeBytes: o.maxHandshakeBytes },
          restoring ? (state as TlsState) : undefined,
        );
        break;
      case 'http':
        entry.parser = new HttpParser(entry.conn, h, o, restoring ? (state as HttpState) : undefined);
        break;
      case 'ftp':
        entry.parser = new FtpParser(entry.conn, h, line, ls);
        break;
      case 'pop3':
        entry.parser = new Pop3Parser(entry.conn, h, line, ls);
        break;
      case 'imap':
        entry.parser = new ImapParser(entry.conn, h, line, ls);
        break;
      case 'smtp':
        entry.parser = new SmtpParser(entry.conn, h, line, ls);
        break;
      case 'ldap':
        entry.parser = new LdapParser(entry.conn, h, o.maxLdapMessage, restoring ? (state as LdapState) : undefined);
        break;
      case 'smb':
        entry.parser = new SmbParser(entry.conn, h, restoring ? (state as SmbState) : undefined);
        break;
      case 'vnc':
        entry.parser = new VncParser(entry.conn, h, restoring ? (state as VncState) : undefined);
        break;
      case 'rlogin':
      case 'rsh':
      case 'rexec':
        entry.parser = new RemoteShellParser(entry.conn, proto, h, restoring ? (state as RemoteShellState) : undefined);
        break;
      case 'snmp':
      case 'tftp':
        break; // UDP only
      case 'telnet':
        entry.parser = new TelnetParser(
          entry.conn,
          h.onTelnetText?.bind(h),
          restoring ? (state as TelnetState) : undefined,
        );
        break;
    }
  }
}
