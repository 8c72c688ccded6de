import type {
  ConnectionInfo,
  StreamCloseEvent,
  StreamDataEvent,
  StreamGapEvent,
  TlsCertificateEvent,
  TlsCertificateInfo,
  TlsClientHelloEvent,
  TlsServerHelloEvent,
} from '../events';
import { parseCertificate } from './tls-certificate';
import { parseCertificateList, parseClientHello, parseServerHello } from './tls-handshake';
import { appendBytes, b64, EMPTY, fromB64, type StreamParser } from './stream-parser';

/**
 * TLS record layer → handshake messages → ClientHello / ServerHello / Certificate events.
 * Records may be split across stream data events and handshake messages across records (or
 * several in one record). A direction stops at ChangeCipherSpec / application data (everything
 * after is encrypted), at a gap, or at bytes that are not TLS records (SSLv2 hello, other
 * protocols): parsing gives up quietly.
 */

export interface TlsHandlers {
  onTlsClientHello?(e: TlsClientHelloEvent): void;
  onTlsServerHello?(e: TlsServerHelloEvent): void;
  onTlsCertificate?(e: TlsCertificateEvent): void;
}

export interface TlsParserOptions {
  /** Handshake bytes buffered per direction (certificate chains are the large part). */
  maxHandshakeBytes: number;
}

export interface TlsState {
  rec: [string, string];
  hs: [string, string];
  stop: [boolean, boolean];
}

const RT_CCS = 20;
const RT_ALERT = 21;
const RT_HANDSHAKE = 22;
const RT_APPDATA = 23;
const MAX_RECORD = 16384 + 2048;

const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_CERTIFICATE = 11;

export class TlsParser implements StreamParser {
  private rec: [Buffer, Buffer] = [EMPTY, EMPTY];
  private hs: [Buffer, Buffer] = [EMPTY, EMPTY];
  private stop: [boolean, boolean] = [false, false];

  constructor(
    private readonly conn: ConnectionInfo,
    private readonly h: TlsHandlers,
    private readonly opts: TlsParserOptions,
    state?: TlsState,
  ) {
    if (state !== undefined) {
      this.rec = [fromB64(state.rec[0]), fromB64(state.rec[1])];
      this.hs = [fromB64(state.hs[0]), fromB64(state.hs[1])];
      this.stop = [state.stop[0], state.stop[1]];
    }
  }

  get done(): boolean {
    return this.stop[0] && this.stop[1];
  }

  bufferedBytes(): number {
    return this.rec[0].length + this.rec[1].length + this.hs[0].length + this.hs[1].length;
  }

  onData(e: StreamDataEvent): void {
    const i = e.dir === 'toServer' ? 0 : 1;
    if (this.stop[i]) return;
    let buf = appendBytes(this.rec[i], e.data);
    while (buf.length >= 5 && !this.stop[i]) {
      const type = buf[0];
      const len = buf.readUInt16BE(3);
      if (type < RT_CCS || type > 24 || buf[1] !== 3 || buf[2] > 4 || len > MAX_RECORD) {
        this.halt(i);
        return;
      }
      if (buf.length < 5 + len) break;
      const body = buf.subarray(5, 5 + len);
      buf = buf.subarray(5 + len);
      if (type === RT_HANDSHAKE) this.handshakeBytes(i, body, e);
      else if (type === RT_CCS || type === RT_APPDATA) this.halt(i);
      else if (type !== RT_ALERT) this.halt(i); // heartbeat etc.: nothing more to learn
    }
    if (this.stop[i]) return;
    this.rec[i] = buf.length === 0 ? EMPTY : Buffer.from(buf);
  }

  onGap(e: StreamGapEvent): void {
    this.halt(e.dir === 'toServer' ? 0 : 1);
  }

  onClose(_e: StreamCloseEvent): void {
    this.halt(0);
    this.halt(1);
  }

  snapshot(): TlsState {
    return {
      rec: [b64(this.rec[0]), b64(this.rec[1])],
      hs: [b64(this.hs[0]), b64(this.hs[1])],
      stop: [this.stop[0], this.stop[1]],
    };
  }

  private halt(i: number): void {
    this.stop[i] = true;
    this.rec[i] = EMPTY;
    this.hs[i] = EMPTY;
  }

  private handshakeBytes(i: number, body: Buffer, e: StreamDataEvent): void {
    let hs = appendBytes(this.hs[i], body);
    if (hs.length > this.opts.maxHandshakeBytes) {
      this.halt(i);
      return;
    }
    while (hs.length >= 4 && !this.stop[i]) {
      const type = hs[0];
      const len = hs.readUIntBE(1, 3);
      if (len > this.opts.maxHandshakeBytes) {
        this.halt(i);
        return;
      }
      if (hs.length < 4 + len) break;
      this.message(type, hs.subarray(4, 4 + len), e);
      hs = hs.subarray(4 + len);
    }
    if (this.stop[i]) return;
    this.hs[i] = hs.length === 0 ? EMPTY : Buffer.from(hs);
  }

  private message(type: number, body: Buffer, e: StreamDataEvent): void {
    if (type === HS_CLIENT_HELLO && e.dir === 'toServer') {
      const f = parseClientHello(body);
      if (f !== null && this.h.onTlsClientHello !== undefined)
        this.h.onTlsClientHello({ conn: this.conn, frame: e.frame, time: e.time, ...f });
    } else if (type === HS_SERVER_HELLO && e.dir === 'toClient') {
      const f = parseServerHello(body);
      if (f !== null && this.h.onTlsServerHello !== undefined)
        this.h.onTlsServerHello({ conn: this.conn, frame: e.frame, time: e.time, ...f });
      // TLS 1.3: everything after ServerHello is encrypted.
      if (f !== null && f.selectedVersion === 0x0304) this.halt(1);
    } else if (type === HS_CERTIFICATE && e.dir === 'toClient') {
      if (this.h.onTlsCertificate === undefined) return;
      const ders = parseCertificateList(body);
      if (ders === null) return;
      const chain: TlsCertificateInfo[] = [];
      let unparsable = 0;
      for (const der of ders) {
        const info = parseCertificate(der);
        if (info === null) unparsable++;
        else chain.push(info);
      }
      this.h.onTlsCertificate({ conn: this.conn, frame: e.frame, time: e.time, chain, unparsable });
    }
  }
}
