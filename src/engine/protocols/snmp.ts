import type { Endpoint, SnmpMessageEvent } from '../events';
import { BER, expectTlv, intValue, readTlv, stringValue } from './ber';

/**
 * SNMP message decoding (RFC 1157 v1, RFC 3416 v2c, RFC 3412/3414 v3) from one UDP datagram.
 * Recognised by structure, not port: the datagram must be exactly one SEQUENCE holding
 * version 0, 1 or 3 and, for v1/v2c, an OCTET STRING community followed by a PDU with a
 * context tag [0]..[8] that fits; for v3, the header SEQUENCE and security parameters. Anything
 * else is `null` (not SNMP or damaged); nothing throws.
 */

const PDU_KINDS = ['get', 'getnext', 'response', 'set', 'trap', 'getbulk', 'inform', 'trap', 'report'];
/** Longest community / user name kept (RFC 3414 limits user names to 32; communities are short). */
const MAX_NAME = 255;

export interface UdpMeta {
  frame: number;
  time: number;
  src: Endpoint;
  dst: Endpoint;
}

/** Cheap test before decoding: SEQUENCE then INTEGER. */
export function looksLikeSnmp(b: Buffer, off: number, len: number): boolean {
  if (len < 10 || b[off] !== BER.SEQUENCE) return false;
  const l0 = b[off + 1];
  const v = l0 < 0x80 ? off + 2 : off + 2 + (l0 & 0x7f);
  return v + 2 < off + len && b[v] === BER.INTEGER && b[v + 1] === 1;
}

export function decodeSnmp(b: Buffer, off: number, len: number, meta: UdpMeta): SnmpMessageEvent | null {
  const end = off + len;
  const msg = expectTlv(b, off, end, BER.SEQUENCE);
  if (msg === null || msg.end !== end) return null;
  const ver = expectTlv(b, msg.start, msg.end, BER.INTEGER);
  if (ver === null) return null;
  const v = intValue(b, ver);
  if (v === 0 || v === 1) return community(b, ver.end, msg.end, v === 0 ? 'v1' : 'v2c', meta);
  if (v === 3) return v3(b, ver.end, msg.end, meta);
  return null;
}

function pduKind(tag: number): string {
  return tag >= 0xa0 && tag <= 0xa8 ? PDU_KINDS[tag - 0xa0] : 'unknown';
}

/** PDU fields: [requestId, errorStatus] for the request/response shaped PDUs, [] for a v1 trap. */
function pduFields(
  b: Buffer,
  pduStart: number,
  pduEnd: number,
  tag: number,
): { requestId?: number; errorStatus?: number } {
  if (tag === 0xa4) return {}; // v1 Trap-PDU: enterprise, agent-addr, ... no request id
  const id = expectTlv(b, pduStart, pduEnd, BER.INTEGER);
  if (id === null) return {};
  const out: { requestId?: number; errorStatus?: number } = {};
  const rid = intValue(b, id);
  if (rid !== null) out.requestId = rid;
  const es = expectTlv(b, id.end, pduEnd, BER.INTEGER);
  if (es !== null && tag === 0xa2) {
    const e = intValue(b, es);
    if (e !== null) out.errorStatus = e;
  }
  return out;
}

function community(b: Buffer, off: number, end: number, version: 'v1' | 'v2c', meta: UdpMeta): SnmpMessageEvent | null {
  const c = expectTlv(b, off, end, BER.OCTET_STRING);
  if (c === null) return null;
  const pdu = readTlv(b, c.end, end);
  if (pdu === null || pdu.tag < 0xa0 || pdu.tag > 0xa8) return null;
  return {
    ...meta,
    version,
    community: stringValue(b, c, MAX_NAME),
    pdu: pduKind(pdu.tag),
    ...pduFields(b, pdu.start, pdu.end, pdu.tag),
  };
}

function v3(b: Buffer, off: number, end: number, meta: UdpMeta): SnmpMessageEvent | null {
  const header = expectTlv(b, off, end, BER.SEQUENCE);
  if (header === null) return null;
  const msgId = expectTlv(b, header.start, header.end, BER.INTEGER);
  if (msgId === null) return null;
  const maxSize = expectTlv(b, msgId.end, header.end, BER.INTEGER);
  const flagsT = maxSize && expectTlv(b, maxSize.end, header.end, BER.OCTET_STRING);
  if (!flagsT || flagsT.end - flagsT.start !== 1) return null;
  const priv = (b[flagsT.start] & 0x02) !== 0;
  const sec = expectTlv(b, header.end, end, BER.OCTET_STRING);
  if (sec === null) return null;
  const ev: SnmpMessageEvent = { ...meta, version: 'v3', pdu: 'unknown' };
  // USM security parameters (RFC 3414 §2.4): SEQUENCE { engineID, boots, time, userName, auth, priv }.
  const usm = expectTlv(b, sec.start, sec.end, BER.SEQUENCE);
  if (usm !== null) {
    const engine = expectTlv(b, usm.start, usm.end, BER.OCTET_STRING);
    const boots = engine && expectTlv(b, engine.end, usm.end, BER.INTEGER);
    const time = boots && expectTlv(b, boots.end, usm.end, BER.INTEGER);
    const user = time && expectTlv(b, time.end, usm.end, BER.OCTET_STRING);
    if (user && user.end > user.start) ev.user = stringValue(b, user, MAX_NAME);
  }
  const data = readTlv(b, sec.end, end);
  if (data === null) return ev;
  if (priv || data.tag === BER.OCTET_STRING) {
    ev.pdu = 'encrypted';
    return ev;
  }
  if (data.tag !== BER.SEQUENCE) return ev;
  // ScopedPDU: SEQUENCE { contextEngineID, contextName, PDU }.
  const ctxEngine = expectTlv(b, data.start, data.end, BER.OCTET_STRING);
  const ctxName = ctxEngine && expectTlv(b, ctxEngine.end, data.end, BER.OCTET_STRING);
  const pdu = ctxName && readTlv(b, ctxName.end, data.end);
  if (!pdu || pdu.tag < 0xa0 || pdu.tag > 0xa8) return ev;
  ev.pdu = pduKind(pdu.tag);
  Object.assign(ev, pduFields(b, pdu.start, pdu.end, pdu.tag));
  return ev;
}
