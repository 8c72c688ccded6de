import type { ConnectionInfo, DnsMessageEvent, StreamCloseEvent, StreamDataEvent, StreamGapEvent } from '../events';
import { decodeDnsMessage } from './dns-message';
import { appendBytes, b64, EMPTY, fromB64, type StreamParser } from './stream-parser';

/**
 * DNS over TCP (RFC 1035 §4.2.2): each message is preceded by a 2-byte length, and messages
 * may be split across (or packed into) stream data events. Malformed messages are counted.
 */
export interface DnsTcpState {
  p: [string, string];
  malformed: number;
  dead: [boolean, boolean];
}

export class DnsTcpParser implements StreamParser {
  malformed = 0;
  private pending: [Buffer, Buffer] = [EMPTY, EMPTY];
  private dead: [boolean, boolean] = [false, false];

  constructor(
    private readonly conn: ConnectionInfo,
    private readonly onDns: ((e: DnsMessageEvent) => void) | undefined,
    state?: DnsTcpState,
  ) {
    if (state !== undefined) {
      this.pending = [fromB64(state.p[0]), fromB64(state.p[1])];
      this.malformed = state.malformed;
      this.dead = [state.dead[0], state.dead[1]];
    }
  }

  get done(): boolean {
    return this.dead[0] && this.dead[1];
  }

  bufferedBytes(): number {
    return this.pending[0].length + this.pending[1].length;
  }

  onData(e: StreamDataEvent): void {
    const i = e.dir === 'toServer' ? 0 : 1;
    if (this.dead[i]) return;
    let buf = appendBytes(this.pending[i], e.data);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (len < 12) {
        // Not DNS framing any more (or never was): stop reading this direction.
        this.dead[i] = true;
        this.malformed++;
        buf = EMPTY;
        break;
      }
      if (buf.length < 2 + len) break;
      const msg = buf.subarray(2, 2 + len);
      buf = buf.subarray(2 + len);
      const fromClient = i === 0;
      const src = fromClient ? this.conn.client : this.conn.server;
      const dst = fromClient ? this.conn.server : this.conn.client;
      const ev = decodeDnsMessage(msg, { frame: e.frame, time: e.time, transport: 'tcp', src, dst });
      if (ev === null) this.malformed++;
      else if (this.onDns !== undefined) this.onDns(ev);
    }
    // Keep a private copy: `buf` may be a view of a larger concatenation.
    this.pending[i] = buf.length === 0 ? EMPTY : Buffer.from(buf);
  }

  onGap(e: StreamGapEvent): void {
    // Framing is lost after a hole; DNS-over-TCP has no resync marker.
    const i = e.dir === 'toServer' ? 0 : 1;
    this.dead[i] = true;
    this.pending[i] = EMPTY;
  }

  onClose(_e: StreamCloseEvent): void {
    this.pending = [EMPTY, EMPTY];
  }

  snapshot(): DnsTcpState {
    return {
      p: [b64(this.pending[0]), b64(this.pending[1])],
      malformed: this.malformed,
      dead: [this.dead[0], this.dead[1]],
    };
  }
}
