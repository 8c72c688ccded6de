import type {
  ConnectionInfo,
  LdapBindRequestEvent,
  LdapBindResponseEvent,
  LdapStartTlsEvent,
  StreamCloseEvent,
  StreamDataEvent,
  StreamGapEvent,
} from '../events';
import { BER, expectTlv, intValue, readTlv, stringValue, tlvSize } from './ber';
import { MessageFramer, type FramerState } from './message-framer';
import type { StreamParser } from './stream-parser';

/**
 * LDAP over TCP (RFC 4511): frames each direction into LDAPMessage SEQUENCEs and decodes
 * BindRequest/BindResponse and the StartTLS extended operation; other operations are framed
 * and skipped. A SASL bind carries its mechanism and raw credentials (PLAIN/LOGIN put the
 * password there in clear; detectors decode and mask). A message larger than `maxMessage` is skipped unread (search results can be
 * large; binds are small). After a StartTLS response with resultCode 0 the connection is TLS
 * and parsing stops. Bytes that are not a definite-length SEQUENCE stop parsing too.
 */

export const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';

const OP_BIND_REQUEST = 0x60;
const OP_BIND_RESPONSE = 0x61;
const OP_EXTENDED_REQUEST = 0x77;
const OP_EXTENDED_RESPONSE = 0x78;
/** Longest DN / diagnostic kept (bytes). */
const MAX_TEXT = 1024;
/** Longest SASL credentials kept (bytes): a PLAIN/LOGIN message is far shorter; GSSAPI/SPNEGO tokens are cut. */
const MAX_SASL_CREDENTIALS = 1024;

export interface LdapHandlers {
  onLdapBindRequest?(e: LdapBindRequestEvent): void;
  onLdapBindResponse?(e: LdapBindResponseEvent): void;
  onLdapStartTls?(e: LdapStartTlsEvent): void;
}

export interface LdapState extends FramerState {
  done: boolean;
  startTlsId: number | null;
}

/** Is `b` (the first bytes of a direction) the start of an LDAPMessage? true/false, or null: need more. */
export function looksLikeLdap(b: Buffer, toServer: boolean): boolean | null {
  if (b.length === 0) return null;
  if (b[0] !== BER.SEQUENCE) return false;
  if (b.length < 2) return null;
  const l0 = b[1];
  if (l0 === 0x80 || l0 > 0x84) return false;
  const idAt = l0 < 0x80 ? 2 : 2 + (l0 & 0x7f);
  if (b.length < idAt + 2) return null;
  if (b[idAt] !== BER.INTEGER || b[idAt + 1] < 1 || b[idAt + 1] > 4) return false;
  const opAt = idAt + 2 + b[idAt + 1];
  if (b.length <= opAt) return null;
  const op = b[opAt];
  // Requests: bind, unbind, search, modify, add, del, modDN, compare, abandon, extended.
  const requests = [0x60, 0x42, 0x63, 0x66, 0x68, 0x4a, 0x6c, 0x6e, 0x50, 0x77];
  // Responses: bind, search entry/done/reference, modify, add, del, modDN, compare, extended, intermediate.
  const responses = [0x61, 0x64, 0x65, 0x73, 0x67, 0x69, 0x6b, 0x6d, 0x6f, 0x78, 0x79];
  return (toServer ? requests : responses).includes(op);
}

export class LdapParser implements StreamParser {
  private readonly framer: MessageFramer;
  private stopped = false;
  private startTlsId: number | null = null;

  constructor(
    private readonly conn: ConnectionInfo,
    private readonly h: LdapHandlers,
    private readonly maxMessage: number,
    state?: LdapState,
  ) {
    this.framer = new MessageFramer(state);
    if (state !== undefined) {
      this.stopped = state.done;
      this.startTlsId = state.startTlsId;
    }
  }

  get done(): boolean {
    return this.stopped;
  }

  bufferedBytes(): number {
    return this.framer.bufferedBytes();
  }

  onData(e: StreamDataEvent): void {
    if (this.stopped) return;
    const b = this.framer.input(e.dir, e.data);
    if (b === null) return;
    let off = 0;
    while (!this.stopped && off < b.length) {
      const size = tlvSize(b, off);
      if (size === -1) break; // header incomplete
      if (size < 0 || b[off] !== BER.SEQUENCE) {
        this.stop();
        return;
      }
      if (size > this.maxMessage) {
        off = this.framer.pass(e.dir, b, off, size);
        continue;
      }
      if (b.length - off < size) break;
      this.message(b, off, off + size, e);
      off += size;
    }
    if (this.stopped) return;
    // Keep the incomplete tail (bounded by maxMessage through the check above).
    this.framer.keep(e.dir, b, off);
  }

  onGap(e: StreamGapEvent): void {
    // Message boundaries are lost with the bytes: nothing after a hole can be framed reliably.
    void e;
    this.stop();
  }

  onClose(_e: StreamCloseEvent): void {
    this.stop();
  }

  snapshot(): LdapState {
    return {
      ...this.framer.snapshot(),
      done: this.stopped,
      startTlsId: this.startTlsId,
    };
  }

  private stop(): void {
    this.stopped = true;
    this.framer.clear();
  }

  private message(b: Buffer, start: number, end: number, e: StreamDataEvent): void {
    const seq = expectTlv(b, start, end, BER.SEQUENCE);
    if (seq === null) return;
    const idT = expectTlv(b, seq.start, seq.end, BER.INTEGER);
    const messageId = idT && intValue(b, idT);
    if (!idT || messageId === null) return;
    const op = readTlv(b, idT.end, seq.end);
    if (op === null) return;
    const base = { conn: this.conn, frame: e.frame, time: e.time, messageId };
    switch (op.tag) {
      case OP_BIND_REQUEST:
        this.bindRequest(b, op.start, op.end, base);
        break;
      case OP_BIND_RESPONSE: {
        const r = result(b, op.start, op.end);
        if (r !== null && this.h.onLdapBindResponse)
          this.h.onLdapBindResponse({ ...base, resultCode: r.code, diagnosticMessage: r.diagnostic });
        break;
      }
      case OP_EXTENDED_REQUEST: {
        const name = readTlv(b, op.start, op.end);
        if (name === null || name.tag !== 0x80) break;
        if (b.toString('latin1', name.start, name.end) !== STARTTLS_OID) break;
        this.startTlsId = messageId;
        this.h.onLdapStartTls?.({ ...base, phase: 'request' });
        break;
      }
      case OP_EXTENDED_RESPONSE: {
        if (this.startTlsId !== messageId) break;
        const r = result(b, op.start, op.end);
        if (r === null) break;
        this.startTlsId = null;
        this.h.onLdapStartTls?.({ ...base, phase: 'response', resultCode: r.code });
        if (r.code === 0) this.stop(); // TLS from the next byte on
        break;
      }
    }
  }

  private bindRequest(
    b: Buffer,
    start: number,
    end: number,
    base: { conn: ConnectionInfo; frame: number; time: number; messageId: number },
  ): void {
    const verT = expectTlv(b, start, end, BER.INTEGER);
    const version = verT && intValue(b, verT);
    const nameT = verT && expectTlv(b, verT.end, end, BER.OCTET_STRING);
    if (!nameT || version === null) return;
    const auth = readTlv(b, nameT.end, end);
    if (auth === null) return;
    const ev: LdapBindRequestEvent = { ...base, version, name: stringValue(b, nameT, MAX_TEXT), auth: 'simple' };
    if (auth.tag === 0x80) {
      ev.password = stringValue(b, auth, MAX_TEXT);
    } else if (auth.tag === 0xa3) {
      ev.auth = 'sasl';
      // SaslCredentials ::= SEQUENCE { mechanism LDAPString, credentials OCTET STRING OPTIONAL }
      const mech = expectTlv(b, auth.start, auth.end, BER.OCTET_STRING);
      if (mech !== null) {
        ev.mechanism = stringValue(b, mech, 64);
        const cred = expectTlv(b, mech.end, auth.end, BER.OCTET_STRING);
        // A copy: the framer's buffer is reused after this message.
        if (cred !== null)
          ev.saslCredentials = Buffer.from(
            b.subarray(cred.start, Math.min(cred.end, cred.start + MAX_SASL_CREDENTIALS)),
          );
      }
    } else return;
    this.h.onLdapBindRequest?.(ev);
  }
}

/** LDAPResult (RFC 4511 §4.1.9): resultCode ENUMERATED, matchedDN, diagnosticMessage. */
function result(b: Buffer, start: number, end: number): { code: number; diagnostic: string } | null {
  const codeT = expectTlv(b, start, end, BER.ENUMERATED);
  const code = codeT && intValue(b, codeT);
  if (!codeT || code === null) return null;
  const matched = expectTlv(b, codeT.end, end, BER.OCTET_STRING);
  const diag = matched && expectTlv(b, matched.end, end, BER.OCTET_STRING);
  return { code, diagnostic: diag ? stringValue(b, diag, MAX_TEXT) : '' };
}
