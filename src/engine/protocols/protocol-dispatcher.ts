import { DEFAULT_CONFIG, type ProtocolLimitsConfig } from '../config';
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

/** Every protocol a dispatcher can parse (the pipeline's `protocols: 'all'`). */
export const PROTOCOL_NAMES: readonly ProtocolName[] = [
  'dns',
  'tls',
  'http',
  'ftp',
  'pop3',
  'imap',
  'smtp',
  'telnet',
  'ldap',
  'snmp',
  'tftp',
  'smb',
  'vnc',
  'rlogin',
  'rsh',
  'rexec',
];

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

/** The `protocols` section of the engine configuration (documented there with its defaults). */
export type ProtocolOptions = ProtocolLimitsConfig;

export const DEFAULT_PROTOCOL_OPTIONS: Readonly<ProtocolOptions> = DEFAULT_CONFIG.protocols;

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

/** Bytes a connection's dispatcher entry holds: its parser's, or while sniffing the bytes seen so far. */
function holds(entry: Entry): number {
  const p = entry.parser;
  return p !== null ? p.bufferedBytes() : entry.sniff[0].length + entry.sniff[1].length;
}

interface Entry {
  conn: ConnectionInfo;
  proto: ProtocolName | typeof NONE | null;
  sniff: [Buffer, Buffer];
  parser: StreamParser | null;
  /** Bytes this connection held after its last event (parser + sniffing), counted in `bufferedTotal`. */
  held: number;
}

export interface DispatcherState {
  v: 1;
  /** TFTP requests awaiting their first reply (absent in states from before TFTP). */
  tftp?: TftpTrackerState;
  stats: DispatcherStats;
  conns: { conn: ConnectionInfo; proto: ProtocolName | typeof NONE | null; sniff: [string, string]; state: unknown }[];
  /**
   * Indexes into `conns` of the connections holding buffered bytes, least recently active first:
   * the order the buffer budget evicts in (absent when none holds bytes).
   */
  holding?: number[];
}

export interface DispatcherStats {
  dnsUdp: number;
  dnsMalformed: number;
  /** SNMP messages and TFTP requests decoded from UDP. */
  snmpUdp?: number;
  tftpUdp?: number;
  connections: Record<string, number>;
  /** Parsers dropped to stay under maxBufferedBytes, and connections forgotten beyond maxConnections. */
  budgetEvictions?: number;
  connectionEvictions?: number;
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
  /** Sum of the entries' `held`: kept incrementally, never by a scan. */
  private bufferedTotal = 0;
  /** Entries with held > 0, least recently active first (a Set keeps insertion order). */
  private readonly holding = new Set<Entry>();
  /** The entry added to `holding` last: a run of events on one connection needs no reordering. */
  private newest: Entry | null = null;

  constructor(
    private readonly handlers: ProtocolHandlers,
    private readonly enabled: ReadonlySet<ProtocolName>,
    opts?: Partial<ProtocolOptions>,
    /**
     * Told when a parser throws; that connection's parser is then retired (the rest of the
     * connection is ignored, as after a buffer-budget eviction) and every other one goes on.
     * Without it the exception propagates.
     */
    private readonly onParserError?: (protocol: string, err: unknown) => void,
  ) {
    this.opts = { ...DEFAULT_PROTOCOL_OPTIONS, ...(opts ?? {}) };
    this.dnsOn = enabled.has('dns');
    this.snmpOn = enabled.has('snmp');
    this.tftpOn = enabled.has('tftp');
    this.udpOn = this.dnsOn || this.snmpOn || this.tftpOn;
  }

  onUdp(p: DecodedPacket): void {
    if (!this.udpOn || p.ipProto !== 17 || p.l4Off < 0 || p.malformed !== null) return;
    if (this.onParserError === undefined) return this.udp(p);
    try {
      this.udp(p);
    } catch (err) {
      // Datagrams are parsed one at a time and hold nothing: only this one is lost.
      this.onParserError('udp', err);
    }
  }

  private udp(p: DecodedPacket): void {
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
    if (this.onParserError === undefined) return this.data(e);
    try {
      this.data(e);
    } catch (err) {
      this.failed(e.conn, err);
    }
  }

  private data(e: StreamDataEvent): void {
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
      if (!entry.parser.done) {
        entry.parser.onData(e);
        this.account(entry, e);
      }
      return;
    }
    this.sniffData(entry, e);
    this.account(entry, e);
  }

  /** Bytes buffered by all parsers and sniffing buffers now (never above maxBufferedBytes after an event). */
  get bufferedBytes(): number {
    return this.bufferedTotal;
  }

  private sniffData(entry: Entry, e: StreamDataEvent): void {
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

  /**
   * After an event on `entry`: update the running total from what it holds now, move it to the
   * most recently active end, and while over budget drop the least recently active holders.
   */
  private account(entry: Entry, at: { frame: number; time: number }): void {
    const now = holds(entry);
    const was = entry.held;
    if (now === was && (now === 0 || this.newest === entry)) return;
    entry.held = now;
    this.bufferedTotal += now - was;
    if (now === 0) {
      this.holding.delete(entry);
      if (this.newest === entry) this.newest = null;
      return;
    }
    if (was > 0) this.holding.delete(entry);
    this.holding.add(entry);
    this.newest = entry;
    if (this.bufferedTotal > this.opts.maxBufferedBytes) this.shed(at);
  }

  private shed(at: { frame: number; time: number }): void {
    for (const victim of this.holding) {
      if (this.bufferedTotal <= this.opts.maxBufferedBytes) break;
      this.release(victim);
      this.stats.budgetEvictions = (this.stats.budgetEvictions ?? 0) + 1;
      // As the reassembler does with a stream it evicts: the parser reports what it has (a body
      // cut short, a half handshake), then the rest of the connection is ignored. Not forgotten:
      // its later bytes, from mid-stream, must not be sniffed as a new protocol.
      const parser = victim.parser;
      victim.parser = null;
      victim.proto = NONE;
      victim.sniff = [EMPTY, EMPTY];
      if (parser !== null) parser.onClose({ conn: victim.conn, reason: 'evicted', frame: at.frame, time: at.time });
    }
  }

  /** Take an entry's bytes out of the total. */
  private release(entry: Entry): void {
    if (entry.held === 0) return;
    this.bufferedTotal -= entry.held;
    entry.held = 0;
    this.holding.delete(entry);
    if (this.newest === entry) this.newest = null;
  }

  onGap(e: StreamGapEvent): void {
    if (!this.tags.has(portsTag(e.conn))) return;
    const entry = this.conns.get(e.conn.id);
    if (entry === undefined) return;
    try {
      if (entry.parser !== null) entry.parser.onGap(e);
      else entry.sniff[e.dir === 'toServer' ? 0 : 1] = EMPTY;
    } catch (err) {
      if (this.onParserError === undefined) throw err;
      this.failed(e.conn, err);
    }
    if (entry.held > 0) this.account(entry, e);
  }

  onClose(e: StreamCloseEvent): void {
    if (!this.tags.has(portsTag(e.conn))) return;
    const entry = this.conns.get(e.conn.id);
    if (entry === undefined) return;
    try {
      if (entry.parser !== null) entry.parser.onClose(e);
    } catch (err) {
      if (this.onParserError === undefined) throw err;
      this.onParserError(String(entry.proto), err);
    }
    this.drop(e.conn.id, entry);
  }

  /**
   * A parser (or the sniffer) threw on this connection: report it and retire the connection's
   * parsing, keeping the entry so its later bytes are not sniffed again from mid-stream.
   */
  private failed(conn: ConnectionInfo, err: unknown): void {
    const entry = this.conns.get(conn.id);
    const proto = entry === undefined || entry.proto === null ? 'sniffer' : String(entry.proto);
    if (entry !== undefined) {
      this.release(entry);
      entry.parser = null;
      entry.proto = NONE;
      entry.sniff = [EMPTY, EMPTY];
    }
    this.onParserError!(proto, err);
  }

  snapshot(): DispatcherState {
    const conns: DispatcherState['conns'] = [];
    const index = new Map<Entry, number>();
    for (const x of this.conns.values()) {
      if (x.held > 0) index.set(x, conns.length);
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
      ...(this.holding.size > 0 ? { holding: [...this.holding].map((x) => index.get(x) as number) } : {}),
      ...(this.tftp.size > 0 ? { tftp: this.tftp.snapshot() } : {}),
    };
  }

  restore(s: DispatcherState): void {
    this.conns.clear();
    this.tags.clear();
    this.lastConn = null;
    this.lastEntry = null;
    this.bufferedTotal = 0;
    this.holding.clear();
    this.newest = null;
    this.stats.dnsUdp = s.stats.dnsUdp;
    this.stats.dnsMalformed = s.stats.dnsMalformed;
    this.tftp.restore(s.tftp);
    if (s.stats.snmpUdp !== undefined) this.stats.snmpUdp = s.stats.snmpUdp;
    if (s.stats.tftpUdp !== undefined) this.stats.tftpUdp = s.stats.tftpUdp;
    if (s.stats.budgetEvictions !== undefined) this.stats.budgetEvictions = s.stats.budgetEvictions;
    else delete this.stats.budgetEvictions;
    if (s.stats.connectionEvictions !== undefined) this.stats.connectionEvictions = s.stats.connectionEvictions;
    else delete this.stats.connectionEvictions;
    const entries: Entry[] = [];
    this.stats.connections = { ...s.stats.connections };
    for (const c of s.conns) {
      const entry: Entry = {
        conn: c.conn,
        proto: c.proto,
        sniff: [fromB64(c.sniff[0]), fromB64(c.sniff[1])],
        parser: null,
        held: 0,
      };
      if (c.proto !== null && c.proto !== NONE) this.start(entry, c.proto, c.state);
      const old = this.conns.get(c.conn.id);
      if (old !== undefined) {
        this.untag(old);
        this.release(old);
      }
      this.conns.set(c.conn.id, entry);
      this.tag(entry);
      entries.push(entry);
    }
    // What each connection holds is a function of its state: recompute it, in the saved LRU order
    // (states from before the budget have none: they hold in snapshot order).
    for (const k of [...(s.holding ?? []), ...entries.keys()]) {
      const entry = entries[k];
      if (entry === undefined || entry.held > 0 || this.conns.get(entry.conn.id) !== entry) continue;
      entry.held = holds(entry);
      if (entry.held === 0) continue;
      this.bufferedTotal += entry.held;
      this.holding.add(entry);
      this.newest = entry;
    }
  }

  private add(conn: ConnectionInfo): Entry {
    if (this.conns.size >= this.opts.maxConnections) {
      for (const [k, old] of this.conns) {
        this.drop(k, old);
        this.stats.connectionEvictions = (this.stats.connectionEvictions ?? 0) + 1;
        break;
      }
    }
    const entry: Entry = { conn, proto: null, sniff: [EMPTY, EMPTY], parser: null, held: 0 };
    this.conns.set(conn.id, entry);
    this.tag(entry);
    return entry;
  }

  private drop(id: string, entry: Entry): void {
    this.conns.delete(id);
    this.untag(entry);
    this.release(entry);
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
