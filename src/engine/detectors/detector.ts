import type { DecodedPacket } from '../decode/decoded-packet';
import type {
  AppProtocolEvent,
  DnsMessageEvent,
  HttpRequestEvent,
  HttpResponseEvent,
  LdapBindRequestEvent,
  LdapBindResponseEvent,
  LdapStartTlsEvent,
  LineCommandEvent,
  LineReplyEvent,
  RemoteShellEvent,
  SmbMessageEvent,
  SnmpMessageEvent,
  StreamCloseEvent,
  StreamDataEvent,
  StreamGapEvent,
  StreamOverlapEvent,
  TelnetTextEvent,
  TftpReplyEvent,
  TftpRequestEvent,
  TlsCertificateEvent,
  TlsClientHelloEvent,
  TlsServerHelloEvent,
  VncHandshakeEvent,
} from '../events';
import type { FindingReport } from '../finding';

export interface DetectorContext {
  report(finding: FindingReport): void;
}

/**
 * A detector subscribes to the events it needs by implementing the matching hooks; the pipeline
 * only runs the parsers something subscribes to. Rules (DESIGN.md §3): no I/O, no wall clock, no
 * randomness; state bounded by caps and expiry in packet time; snapshot() returns plain JSON.
 */
export interface Detector<State = unknown> {
  readonly id: string;
  snapshot(): State;
  restore(state: State): void;

  /** Every decoded packet (malformed ones included: check p.malformed). The view is reused: copy what you keep. */
  onPacket?(p: DecodedPacket, ctx: DetectorContext): void;
  onStreamData?(e: StreamDataEvent, ctx: DetectorContext): void;
  onStreamGap?(e: StreamGapEvent, ctx: DetectorContext): void;
  onStreamOverlap?(e: StreamOverlapEvent, ctx: DetectorContext): void;
  onStreamClose?(e: StreamCloseEvent, ctx: DetectorContext): void;
  onDns?(e: DnsMessageEvent, ctx: DetectorContext): void;
  onTlsClientHello?(e: TlsClientHelloEvent, ctx: DetectorContext): void;
  onTlsServerHello?(e: TlsServerHelloEvent, ctx: DetectorContext): void;
  onTlsCertificate?(e: TlsCertificateEvent, ctx: DetectorContext): void;
  onHttpRequest?(e: HttpRequestEvent, ctx: DetectorContext): void;
  onHttpResponse?(e: HttpResponseEvent, ctx: DetectorContext): void;
  onLineCommand?(e: LineCommandEvent, ctx: DetectorContext): void;
  onLineReply?(e: LineReplyEvent, ctx: DetectorContext): void;
  onTelnetText?(e: TelnetTextEvent, ctx: DetectorContext): void;
  onSnmp?(e: SnmpMessageEvent, ctx: DetectorContext): void;
  onLdapBindRequest?(e: LdapBindRequestEvent, ctx: DetectorContext): void;
  onLdapBindResponse?(e: LdapBindResponseEvent, ctx: DetectorContext): void;
  onLdapStartTls?(e: LdapStartTlsEvent, ctx: DetectorContext): void;
  /** Once per TCP connection whose protocol the dispatcher recognised (sniffing only: no parser needs to run). */
  onAppProtocol?(e: AppProtocolEvent, ctx: DetectorContext): void;
  onTftpRequest?(e: TftpRequestEvent, ctx: DetectorContext): void;
  /** The first reply to a request (DATA/ACK/ERROR/OACK): a TFTP server answered. */
  onTftpReply?(e: TftpReplyEvent, ctx: DetectorContext): void;
  onSmbMessage?(e: SmbMessageEvent, ctx: DetectorContext): void;
  onVncHandshake?(e: VncHandshakeEvent, ctx: DetectorContext): void;
  onRemoteShell?(e: RemoteShellEvent, ctx: DetectorContext): void;

  /** End of the capture (not of a chunk): report what is pending. */
  flush?(ctx: DetectorContext): void;
}
