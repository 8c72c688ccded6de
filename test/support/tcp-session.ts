import { TCPF } from './frame-builder';
import { tcpFrame, type Host, type Timeline } from './traffic';

/**
 * A well-formed TCP conversation for protocol tests: three-way handshake, data in either
 * direction with correct sequence/acknowledgement numbers (each data segment acknowledged by
 * the peer), and a FIN close. Frames go onto a Timeline, `gap` seconds apart.
 */
export class TcpSession {
  private cseq = 1000;
  private sseq = 5000;
  private at: number;

  constructor(
    private readonly t: Timeline,
    readonly client: Host,
    readonly server: Host,
    readonly sport: number,
    readonly dport: number,
    start = 0,
    private readonly gap = 0.01,
  ) {
    this.at = start;
  }

  private add(from: 'c' | 's', flags: number, payload?: Buffer): number {
    this.at += this.gap;
    const c = from === 'c';
    const frame = tcpFrame(c ? this.client : this.server, c ? this.server : this.client, {
      sport: c ? this.sport : this.dport,
      dport: c ? this.dport : this.sport,
      seq: c ? this.cseq : this.sseq,
      ack: flags & TCPF.ACK ? (c ? this.sseq : this.cseq) : 0,
      flags,
      payload,
    });
    const n = this.t.add(this.at, frame);
    const len = (payload?.length ?? 0) + (flags & (TCPF.SYN | TCPF.FIN) ? 1 : 0);
    if (c) this.cseq += len;
    else this.sseq += len;
    return n;
  }

  open(): this {
    this.add('c', TCPF.SYN);
    this.add('s', TCPF.SYN | TCPF.ACK);
    this.add('c', TCPF.ACK);
    return this;
  }

  /** Client → server bytes (one segment), acknowledged by the server; returns the data frame number. */
  c(data: string | Buffer): number {
    const n = this.add('c', TCPF.PSH | TCPF.ACK, typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
    this.add('s', TCPF.ACK);
    return n;
  }

  /** Server → client bytes, acknowledged by the client; returns the data frame number. */
  s(data: string | Buffer): number {
    const n = this.add('s', TCPF.PSH | TCPF.ACK, typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
    this.add('c', TCPF.ACK);
    return n;
  }

  close(): this {
    this.add('c', TCPF.FIN | TCPF.ACK);
    this.add('s', TCPF.FIN | TCPF.ACK);
    this.add('c', TCPF.ACK);
    return this;
  }

  /** Packet time (s after the timeline start) of the last frame. */
  get time(): number {
    return this.at;
  }
}
