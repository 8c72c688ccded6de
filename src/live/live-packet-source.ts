import { newPacketRecord, type PacketRecord } from '../engine/capture/packet-record';
import { LiveCaptureError } from './live-capture-error';
import { loadPcapBinding, type NativePcapSession, type PcapBinding } from './pcap-binding';

export interface LiveCaptureOptions {
  iface: string;
  /** BPF filter ('' or undefined: every packet). */
  filter?: string;
  snaplen: number;
  promiscuous: boolean;
  /** libpcap's kernel ring size. */
  bufferBytes: number;
}

export interface LiveCaptureStats {
  /** pcap_stats: packets the kernel handed to the filter / dropped for want of buffer / dropped by the interface. */
  received: number;
  dropped: number;
  ifDropped: number;
}

export interface LivePacketHandlers {
  /** Each packet, in order; the record and its buffer are reused (copy what you keep). */
  onPacket: (rec: PacketRecord) => void;
  /**
   * Called about every tickMs, from inside the packet loop when packets keep coming (libpcap's
   * dispatch does not return while the ring holds packets, so timers alone would starve under
   * load) and from a timer when the line is quiet.
   */
  onTick?: (nowMs: number) => void;
  tickMs?: number;
  /** A packet handler threw: the capture stops (the process must not die inside the native loop). */
  onError?: (err: unknown) => void;
}

const LINK_TYPES: Record<string, number> = {
  LINKTYPE_NULL: 0,
  LINKTYPE_ETHERNET: 1,
  LINKTYPE_RAW: 101,
  LINKTYPE_LINUX_SLL: 113,
  LINKTYPE_IEEE802_11_RADIO: 127,
};

/** node_pcap names five link types and says "Unknown linktype N" (the DLT value) for the rest. */
export function linkTypeNumber(name: string): number {
  if (name in LINK_TYPES) return LINK_TYPES[name];
  const m = /(\d+)\s*$/.exec(name);
  if (!m) throw new LiveCaptureError('open-failed', `libpcap reported an unknown link type: ${name}`);
  return Number(m[1]);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** libpcap's own words, classified by what the user has to change. */
function openError(iface: string, message: string): LiveCaptureError {
  if (/no such device|doesn't exist|does not exist/i.test(message)) {
    return new LiveCaptureError(
      'no-such-interface',
      `no such interface "${iface}" (libpcap: ${message}); "ip link" or GET /live/interfaces lists the ones there are`,
    );
  }
  if (/not permitted|permission|EPERM|EACCES/i.test(message)) {
    return new LiveCaptureError(
      'permission',
      `no permission to capture on "${iface}" (libpcap: ${message}): run netwarden as root, or give node the ` +
        'capture capabilities: setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(command -v node)")"',
    );
  }
  return new LiveCaptureError('open-failed', `cannot capture on "${iface}": ${message}`);
}

const READ_TIMEOUT_MS = 100;

/**
 * One interface opened with libpcap (packets are handed over at most READ_TIMEOUT_MS after
 * they arrive). Hands out PacketRecords with libpcap's own capture timestamps —
 * packet time, so live findings do not depend on how fast this process reads.
 */
export class LivePacketSource {
  readonly linkType: number;
  private readonly buf: Buffer;
  private readonly header = Buffer.alloc(16);
  private readonly rec = newPacketRecord();
  private frame = 0;
  private closed = false;
  /** node_pcap has closed the libpcap handle and stopped its poll handle: dispatch must not be called again. */
  private released = false;
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly session: NativePcapSession,
    private readonly packetReady: { fn: () => void },
    linkTypeName: string,
    readonly options: LiveCaptureOptions,
  ) {
    this.linkType = linkTypeNumber(linkTypeName);
    this.buf = Buffer.alloc(options.snaplen);
    this.rec.linkType = this.linkType;
    this.rec.buf = this.buf;
  }

  /** Throws LiveCaptureError: unavailable, no-such-interface, permission, bad-filter, open-failed. */
  static open(opts: LiveCaptureOptions, binding: PcapBinding = loadPcapBinding()): LivePacketSource {
    const filter = opts.filter ?? '';
    // open_live takes the per-packet callback; start() decides what it does.
    const packetReady = { fn: (): void => undefined };
    const attempt = (withFilter: string): { session: NativePcapSession; linkType: string } => {
      const session = new binding.PcapSession();
      try {
        const linkType = session.open_live(
          opts.iface,
          withFilter,
          opts.bufferBytes,
          opts.snaplen,
          '',
          () => packetReady.fn(),
          false,
          // Not immediate mode: libpcap then uses TPACKET_V2, whose ring has one snaplen-sized slot
          // per packet (a 32 MiB buffer held 128 packets at snaplen 262144 and dropped a slow nmap
          // scan). With a read timeout it packs packets into TPACKET_V3 blocks, handed over when
          // a block fills or after this many ms.
          READ_TIMEOUT_MS,
          () => undefined, // "SIOCGIFADDR: no IPv4 address" and the like: not errors for us
          opts.promiscuous,
        );
        return { session, linkType };
      } catch (err) {
        try {
          session.close();
        } catch {
          // never activated
        }
        throw err;
      }
    };
    let opened: { session: NativePcapSession; linkType: string };
    try {
      opened = attempt(filter);
    } catch (err) {
      const message = messageOf(err);
      if (filter === '') throw openError(opts.iface, message);
      // Was it the filter? libpcap compiles it after opening the device: open without it to tell.
      try {
        attempt('').session.close();
      } catch (plain) {
        throw openError(opts.iface, messageOf(plain));
      }
      throw new LiveCaptureError('bad-filter', `invalid capture filter: ${message}`);
    }
    return new LivePacketSource(opened.session, packetReady, opened.linkType, opts);
  }

  start(h: LivePacketHandlers): void {
    const tickMs = h.tickMs ?? 250;
    let nextTick = Date.now() + tickMs;
    let sinceCheck = 0;
    const rec = this.rec;
    const header = this.header;
    const tick = (now: number) => {
      nextTick = now + tickMs;
      h.onTick?.(now);
    };
    const onPacket = () => {
      if (this.closed) return;
      try {
        rec.frame = ++this.frame;
        rec.tsSec = header.readUInt32LE(0);
        rec.tsNsec = header.readUInt32LE(4) * 1000;
        rec.capLen = Math.min(header.readUInt32LE(8), this.buf.length);
        rec.origLen = header.readUInt32LE(12);
        h.onPacket(rec);
        // Date.now() per packet costs more than the rest of this function: look every 256 packets.
        if (++sinceCheck >= 256) {
          sinceCheck = 0;
          const now = Date.now();
          if (now >= nextTick) tick(now);
        }
      } catch (err) {
        // An exception escaping into the native loop is fatal to the process (node_pcap calls
        // FatalException): stop capturing and report instead.
        this.closed = true;
        setImmediate(() => this.close());
        h.onError?.(err);
      }
    };
    const session = this.session;
    const read = () => {
      // After close() this still reads, once: the read that finishes node_pcap's close (see release()).
      if (this.closed) this.release();
      else if (session.dispatch(this.buf, header) === -2) this.released = true;
    };
    // node_pcap's poll handler calls session.read_callback when the fd is readable.
    (session as NativePcapSession & { read_callback?: () => void }).read_callback = read;
    this.packetReady.fn = onPacket;
    session.start_polling();
    this.readNow = read;
    setImmediate(read); // packets that arrived before polling began
    this.timer = setInterval(
      () => {
        const now = Date.now();
        if (now >= nextTick) tick(now);
      },
      Math.max(10, Math.floor(tickMs / 2)),
    );
  }

  stats(): LiveCaptureStats {
    if (this.closed) return this.lastStats;
    try {
      const s = this.session.stats();
      this.lastStats = { received: s.ps_recv, dropped: s.ps_drop, ifDropped: s.ps_ifdrop };
    } catch {
      // keep the last good reading
    }
    return this.lastStats;
  }

  private lastStats: LiveCaptureStats = { received: 0, dropped: 0, ifDropped: 0 };
  private readNow: (() => void) | null = null;

  /**
   * Hands over every packet libpcap had received when called, then resolves (at most maxMs).
   * Call it before close() when stopping: the kernel passes a partly filled TPACKET_V3 block on
   * only when the read timeout (READ_TIMEOUT_MS) retires it, so closing at once loses whatever
   * arrived in the last ~100 ms — all of a short burst (a 33-packet FTP login replayed, then
   * Ctrl-C: 33 received, 0 analysed, 0 counted as dropped).
   */
  async drain(maxMs = 1000): Promise<void> {
    if (this.closed || this.readNow === null) return;
    const s = this.stats();
    // pcap_stats on Linux: received counts the packets that passed the filter, dropped ones included.
    const want = s.received - s.dropped;
    const end = Date.now() + maxMs;
    while (!this.closed && this.frame < want && Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(20, READ_TIMEOUT_MS)));
      this.readNow();
    }
  }

  get packets(): number {
    return this.frame;
  }

  /**
   * Reads until every packet libpcap counted has been handed out (drain), then closes: what
   * the kernel still held when the session was stopped is not lost.
   */
  async closeDrained(): Promise<void> {
    await this.drain();
    this.close();
  }

  /**
   * Idempotent; never call from inside onPacket (the native loop is still running): it defers itself.
   *
   * node_pcap's close() only sets libpcap's break flag; the handle (socket, kernel ring) is closed
   * and the poll handle that keeps the event loop alive is stopped by the next dispatch, which
   * returns -2 — and in non-blocking mode a dispatch sees the flag only when a packet is waiting.
   * So close() tries that read now, and the poll callback tries it again when a packet arrives;
   * on a line that stays quiet the handle stays registered (a process that is done must exit
   * itself rather than wait for the event loop to drain: see the CLI's monitor command).
   */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.closed) this.stats();
    this.closed = true;
    if (this.released) return;
    try {
      this.session.close();
    } catch {
      // already closed
    }
    this.release();
  }

  /** True once the libpcap handle is closed (its socket, ring and poll handle freed). */
  get handleReleased(): boolean {
    return this.released;
  }

  private release(): void {
    if (this.released) return;
    try {
      // With the break flag set, libpcap returns -2 before handing out a packet, and node_pcap frees the handle.
      if (this.session.dispatch(this.buf, this.header) === -2) this.released = true;
    } catch {
      this.released = true;
    }
  }
}
