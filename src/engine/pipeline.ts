import type { PacketRecord } from './capture/packet-record';
import { ErrorContainment, type ContainedErrors } from './contained-errors';
import { EngineConfig, resolveConfig } from './config';
import { DecodedPacket } from './decode/decoded-packet';
import { PacketDecoder, type DecoderState } from './decode/packet.decoder';
import type { Detector, DetectorContext } from './detectors/detector';
import type { Finding, FindingReport } from './finding';
import { FindingStore, type FindingStoreState } from './finding-store';
import {
  PROTOCOL_NAMES,
  ProtocolDispatcher,
  type DispatcherState,
  type DispatcherStats,
  type ProtocolName,
} from './protocols/protocol-dispatcher';
import { TcpReassembler, type ReassemblerState } from './reassembly/tcp-reassembler';
import type { StreamCloseEvent, StreamDataEvent, StreamGapEvent, StreamOverlapEvent } from './events';

/**
 * decode → (defragment) → TCP reassembly → protocol parsers → detectors, for one capture.
 *
 * The same Pipeline runs in the CLI, in the workers and in the tests. Everything it holds is
 * serialisable (snapshot/restore), so a capture cut into chunks at any packet boundary and run
 * on fresh pipelines, each restored from the previous one's snapshot, gives exactly the findings
 * of a single pass. Only the parsers some detector subscribes to run (`protocols: 'auto'`).
 */
export interface PipelineOptions {
  /** Identifies the capture in finding ids (deterministic: same capture + key → same id). */
  captureId: string;
  detectors: Detector[];
  config?: EngineConfig;
  /** Which protocol parsers run: 'auto' (what detectors subscribe to, the default), 'all', or a list. */
  protocols?: 'auto' | 'all' | readonly ProtocolName[];
  /** Extra subscribers that see events but report nothing (tests, statistics, the tshark check). */
  observers?: Partial<Detector>[];
  /**
   * Catch an exception thrown by a detector, an observer, a parser (per connection), the decoder or
   * the reassembler, count it (containedErrors()) and go on — the default. `false` lets it
   * propagate: the fuzzers and tests want the exception itself.
   */
  containErrors?: boolean;
}

export interface PipelineStats {
  packets: number;
  /** Captured bytes of all records. */
  bytes: number;
  /** Packet time of the earliest and latest record (s), null before the first packet. */
  firstTime: number | null;
  lastTime: number | null;
  linkTypes: number[];
  findingsDropped: number;
}

export interface PipelineState {
  version: 1;
  stats: PipelineStats;
  nextExpire: number;
  decoder: DecoderState;
  reassembler: ReassemblerState | null;
  dispatcher: DispatcherState | null;
  findings: FindingStoreState;
  detectors: Record<string, unknown>;
  /** Exceptions contained so far (absent in states from before containment, and when there were none). */
  contained?: ContainedErrors;
}

/** Parsers that read UDP datagrams only (no TCP reassembly needed for them). */
const UDP_ONLY: ReadonlySet<ProtocolName> = new Set(['snmp', 'tftp']);
const EXPIRE_EVERY = 1; // s of packet time between reassembly expiry sweeps

type Hook = Exclude<keyof Detector, 'id' | 'snapshot' | 'restore' | 'flush'>;

/** Which parsers a hook needs. */
const HOOK_PROTOCOLS: Partial<Record<Hook, readonly ProtocolName[]>> = {
  onDns: ['dns'],
  onTlsClientHello: ['tls'],
  onTlsServerHello: ['tls'],
  onTlsCertificate: ['tls'],
  onHttpRequest: ['http'],
  onHttpResponse: ['http'],
  onLineCommand: ['ftp', 'pop3', 'imap', 'smtp'],
  onLineReply: ['ftp', 'pop3', 'imap', 'smtp'],
  onTelnetText: ['telnet'],
  onSnmp: ['snmp'],
  onLdapBindRequest: ['ldap'],
  onLdapBindResponse: ['ldap'],
  onLdapStartTls: ['ldap'],
  onTftpRequest: ['tftp'],
  onTftpReply: ['tftp'],
  onSmbMessage: ['smb'],
  onVncHandshake: ['vnc'],
  onRemoteShell: ['rlogin', 'rsh', 'rexec'],
};
const STREAM_HOOKS: readonly Hook[] = ['onStreamData', 'onStreamGap', 'onStreamOverlap', 'onStreamClose'];

export class Pipeline {
  readonly config: EngineConfig;
  private readonly decoder: PacketDecoder;
  private readonly packet = new DecodedPacket();
  private readonly reassembler: TcpReassembler | null;
  private readonly dispatcher: ProtocolDispatcher | null;
  private readonly store: FindingStore;
  private readonly detectors: Detector[];
  private readonly packetSubscribers: Subscriber[];
  private readonly stats: PipelineStats = {
    packets: 0,
    bytes: 0,
    firstTime: null,
    lastTime: null,
    linkTypes: [],
    findingsDropped: 0,
  };
  private nextExpire = 0;
  private finished = false;
  private readonly containment: ErrorContainment;

  constructor(opts: PipelineOptions) {
    this.config = opts.config ?? resolveConfig();
    this.containment = new ErrorContainment(opts.containErrors === false);
    this.detectors = opts.detectors;
    this.store = new FindingStore(opts.captureId, this.config.maxFindings, this.config.maxEvidenceFrames);
    const ids = new Set<string>();
    for (const d of this.detectors) {
      if (ids.has(d.id)) throw new Error(`detector "${d.id}" registered twice`);
      ids.add(d.id);
    }
    const subscribers: Subscriber[] = [
      ...this.detectors.map((d) => ({
        d: d as Partial<Detector>,
        ctx: this.contextFor(d.id),
        where: `detector ${d.id}`,
      })),
      ...(opts.observers ?? []).map((d, i) => ({ d, ctx: NO_REPORT, where: `observer ${d.id ?? i + 1}` })),
    ];
    const having = (hook: Hook) => subscribers.filter((s) => typeof s.d[hook] === 'function');
    this.packetSubscribers = having('onPacket');

    const protocols = new Set<ProtocolName>();
    if (opts.protocols === 'all') PROTOCOL_NAMES.forEach((p) => protocols.add(p));
    else if (Array.isArray(opts.protocols)) opts.protocols.forEach((p) => protocols.add(p));
    else
      for (const [hook, list] of Object.entries(HOOK_PROTOCOLS) as Array<[Hook, ProtocolName[]]>) {
        if (having(hook).length) list.forEach((p) => protocols.add(p));
      }

    const fan = <E>(hook: Hook) => {
      const subs = having(hook);
      if (!subs.length) return undefined;
      return (e: E) => {
        for (const s of subs) {
          try {
            (s.d[hook] as (e: E, ctx: DetectorContext) => void).call(s.d, e, s.ctx);
          } catch (err) {
            this.contain(s.where, err);
          }
        }
      };
    };

    // onAppProtocol needs the dispatcher's sniffing even when no parser runs.
    const appProtocol = having('onAppProtocol').length > 0;
    this.dispatcher =
      protocols.size || appProtocol
        ? new ProtocolDispatcher(
            {
              onDns: fan('onDns'),
              onTlsClientHello: fan('onTlsClientHello'),
              onTlsServerHello: fan('onTlsServerHello'),
              onTlsCertificate: fan('onTlsCertificate'),
              onHttpRequest: fan('onHttpRequest'),
              onHttpResponse: fan('onHttpResponse'),
              onLineCommand: fan('onLineCommand'),
              onLineReply: fan('onLineReply'),
              onTelnetText: fan('onTelnetText'),
              onSnmp: fan('onSnmp'),
              onLdapBindRequest: fan('onLdapBindRequest'),
              onLdapBindResponse: fan('onLdapBindResponse'),
              onLdapStartTls: fan('onLdapStartTls'),
              onTftpRequest: fan('onTftpRequest'),
              onTftpReply: fan('onTftpReply'),
              onSmbMessage: fan('onSmbMessage'),
              onVncHandshake: fan('onVncHandshake'),
              onRemoteShell: fan('onRemoteShell'),
              onAppProtocol: fan('onAppProtocol'),
            },
            protocols,
            this.config.protocols,
            (protocol, err) => this.contain(`parser ${protocol}`, err),
          )
        : null;

    // Every parser but the UDP-only ones reads TCP streams (DNS too: DNS over TCP).
    const needStreams =
      appProtocol || [...protocols].some((p) => !UDP_ONLY.has(p)) || STREAM_HOOKS.some((h) => having(h).length > 0);
    if (needStreams) {
      const dispatcher = this.dispatcher;
      const onData = fan<StreamDataEvent>('onStreamData');
      const onGap = fan<StreamGapEvent>('onStreamGap');
      const onOverlap = fan<StreamOverlapEvent>('onStreamOverlap');
      const onClose = fan<StreamCloseEvent>('onStreamClose');
      this.reassembler = new TcpReassembler(
        {
          onData: (e) => {
            dispatcher?.onData(e);
            onData?.(e);
          },
          onGap: (e) => {
            dispatcher?.onGap(e);
            onGap?.(e);
          },
          onOverlap: onOverlap,
          onClose: (e) => {
            dispatcher?.onClose(e);
            onClose?.(e);
          },
        },
        // Without an onStreamClose subscriber only the dispatcher listens, and it holds state only
        // for connections that delivered data: the rest (scans, floods) need no close event.
        { ...this.config.reassembly, closeEventsForSilentConnections: onClose !== undefined },
      );
    } else {
      this.reassembler = null;
    }

    this.decoder = new PacketDecoder({
      defrag: {
        timeoutSec: this.config.decode.fragmentTimeout,
        maxDatagrams: this.config.decode.maxFragmentDatagrams,
        maxBytes: this.config.decode.maxFragmentBytes,
      },
    });
  }

  /** Count an exception thrown while analysing the current frame (rethrows with containErrors: false). */
  private contain(where: string, err: unknown): void {
    this.containment.record(where, err, this.stats.packets);
  }

  private contextFor(detector: string): DetectorContext {
    return { report: (r: FindingReport) => this.store.report(detector, r) };
  }

  /** One record, in capture order. The record may be reused by the reader after this returns. */
  push(rec: PacketRecord): void {
    const st = this.stats;
    const p = this.packet;
    // Frames are numbered by the pipeline, not the reader, so they stay global across chunks.
    const frame = ++st.packets;
    st.bytes += rec.capLen;
    const t = rec.tsSec + rec.tsNsec / 1e9;
    if (st.firstTime === null || t < st.firstTime) st.firstTime = t;
    if (st.lastTime === null || t > st.lastTime) st.lastTime = t;
    if (st.linkTypes.indexOf(rec.linkType) < 0) st.linkTypes.push(rec.linkType);
    try {
      this.decoder.decode(rec, p);
    } catch (err) {
      // A view half filled by a decoder that threw is no packet to show anyone: count it, skip it.
      this.contain('decoder', err);
      return;
    }
    p.frame = frame;

    const subs = this.packetSubscribers;
    for (let i = 0; i < subs.length; i++) {
      try {
        subs[i].d.onPacket!(p, subs[i].ctx);
      } catch (err) {
        this.contain(subs[i].where, err);
      }
    }

    if (p.malformed === null && p.l4Off >= 0) {
      if (p.ipProto === 6) {
        // The parsers behind it contain their own exceptions (the dispatcher's onParserError).
        if (this.reassembler !== null)
          try {
            this.reassembler.onSegment(p);
          } catch (err) {
            this.contain('reassembly', err);
          }
      } else if (p.ipProto === 17) {
        if (this.dispatcher !== null) this.dispatcher.onUdp(p);
      }
    }
    // Expiry runs on the newest packet time seen, in fixed steps, so it is the same whether
    // the capture came whole or in chunks.
    if (this.reassembler !== null && st.lastTime !== null && st.lastTime >= this.nextExpire) {
      this.nextExpire = st.lastTime + EXPIRE_EVERY;
      try {
        this.reassembler.expire(st.lastTime, frame);
      } catch (err) {
        this.contain('reassembly', err);
      }
    }
  }

  /** End of the capture (not of a chunk): close streams, let detectors report what is pending. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const now = this.stats.lastTime ?? 0;
    try {
      this.reassembler?.flush(now, this.stats.packets);
    } catch (err) {
      this.contain('reassembly', err);
    }
    for (const d of this.detectors) {
      try {
        d.flush?.(this.contextFor(d.id));
      } catch (err) {
        this.contain(`detector ${d.id}`, err);
      }
    }
    this.stats.findingsDropped = this.store.dropped;
  }

  /** Exceptions caught so far, by place (empty when nothing threw). See contained-errors.ts. */
  containedErrors(): ContainedErrors {
    return this.containment.snapshot();
  }

  findings(): Finding[] {
    return this.store.all();
  }

  /** Findings created or updated since the previous call. */
  takeChangedFindings(): Finding[] {
    return this.store.takeChanged();
  }

  /** Changed findings with their sort keys (see FindingStore.takeChangedEntries). */
  takeChangedFindingEntries(): Array<{ sortKey: string; finding: Finding }> {
    return this.store.takeChangedEntries();
  }

  getStats(): PipelineStats {
    return { ...this.stats, linkTypes: [...this.stats.linkTypes], findingsDropped: this.store.dropped };
  }

  /**
   * Protocol dispatcher counters (connections per protocol, evictions by the connection cap and
   * the buffer budget) and the bytes its parsers hold now; null when no parser runs.
   */
  protocolStats(): (DispatcherStats & { bufferedBytes: number }) | null {
    const d = this.dispatcher;
    if (d === null) return null;
    return { ...d.stats, connections: { ...d.stats.connections }, bufferedBytes: d.bufferedBytes };
  }

  /** Decoder counters (unknown link types, malformed, fragments). */
  decodeStats(): PacketDecoder['stats'] {
    return this.decoder.stats;
  }

  snapshot(): PipelineState {
    const detectors: Record<string, unknown> = {};
    for (const d of this.detectors) detectors[d.id] = d.snapshot();
    return {
      version: 1,
      stats: this.getStats(),
      nextExpire: this.nextExpire,
      decoder: this.decoder.snapshot(),
      reassembler: this.reassembler?.snapshot() ?? null,
      dispatcher: this.dispatcher?.snapshot() ?? null,
      findings: this.store.snapshot(),
      detectors,
      ...(this.containment.total > 0 ? { contained: this.containment.snapshot() } : {}),
    };
  }

  restore(state: PipelineState): void {
    if (state.version !== 1) throw new Error(`unsupported pipeline state version ${String(state.version)}`);
    Object.assign(this.stats, state.stats, { linkTypes: [...state.stats.linkTypes] });
    this.nextExpire = state.nextExpire;
    this.decoder.restore(state.decoder);
    if (this.reassembler && state.reassembler) this.reassembler.restore(state.reassembler);
    if (this.dispatcher && state.dispatcher) this.dispatcher.restore(state.dispatcher);
    this.store.restore(state.findings);
    this.containment.restore(state.contained);
    for (const d of this.detectors) {
      if (d.id in state.detectors) d.restore(state.detectors[d.id]);
    }
  }
}

const NO_REPORT: DetectorContext = { report: () => undefined };

interface Subscriber {
  d: Partial<Detector>;
  ctx: DetectorContext;
  /** Where an exception it throws is counted. */
  where: string;
}
