import * as dnsPacket from 'dns-packet';
import type { DnsAnswer, DnsMessageEvent, DnsQuestion } from '../events';

/**
 * DNS wire message → DnsMessageEvent through `dns-packet` (decode guarded: hostile bytes make it
 * throw, which is counted by the caller, never propagated). Type/class names follow tshark's
 * ('A', 'AAAA', 'HTTPS', 'IN', ...); names dns-packet lacks use the RFC 3597 forms TYPEn/CLASSn.
 */

const EXTRA_TYPES: Record<number, string> = { 64: 'SVCB', 65: 'HTTPS', 13: 'HINFO', 35: 'NAPTR', 99: 'SPF' };

function typeName(t: unknown): string {
  if (typeof t !== 'string') return String(t);
  if (!t.startsWith('UNKNOWN_')) return t;
  const n = Number(t.slice(8));
  return EXTRA_TYPES[n] ?? `TYPE${n}`;
}

function className(c: unknown): string {
  if (typeof c !== 'string') return String(c);
  return c.startsWith('UNKNOWN_') ? `CLASS${c.slice(8)}` : c;
}

/** JSON with Buffers as hex (TXT strings as text) so record data is readable and bounded. */
function dataText(type: string, data: unknown): string {
  if (typeof data === 'string') return data; // A, AAAA, CNAME, NS, PTR, DNAME
  if (type === 'TXT' && Array.isArray(data)) {
    return data.map((d) => (Buffer.isBuffer(d) ? d.toString('utf8') : String(d))).join('');
  }
  if (Buffer.isBuffer(data)) return data.toString('hex');
  try {
    return (
      JSON.stringify(data, (_k, v: unknown) => {
        if (
          v !== null &&
          typeof v === 'object' &&
          (v as { type?: unknown }).type === 'Buffer' &&
          Array.isArray((v as { data?: unknown }).data)
        ) {
          return Buffer.from((v as { data: number[] }).data).toString('hex');
        }
        return v;
      }) ?? ''
    );
  } catch {
    return '';
  }
}

function answers(list: dnsPacket.Answer[] | undefined): DnsAnswer[] {
  const out: DnsAnswer[] = [];
  if (list === undefined) return out;
  for (const a of list) {
    const type = typeName(a.type);
    if (type === 'OPT') {
      // EDNS pseudo-record: "class" is the UDP payload size, no TTL semantics.
      out.push({
        name: a.name,
        type,
        class: String((a as { udpPayloadSize?: number }).udpPayloadSize ?? ''),
        ttl: 0,
        data: '',
      });
      continue;
    }
    const r = a as { name: string; class?: unknown; ttl?: number; data?: unknown };
    out.push({ name: r.name, type, class: className(r.class), ttl: r.ttl ?? 0, data: dataText(type, r.data) });
  }
  return out;
}

/** Fixed header check before handing bytes to the full decoder (cheap rejection of non-DNS). */
export function looksLikeDns(buf: Buffer, off: number, len: number): boolean {
  if (len < 12) return false;
  // Plain byte arithmetic: runs for every UDP datagram, and readUInt16BE checks its arguments.
  const flags = (buf[off + 2] << 8) | buf[off + 3];
  const opcode = (flags >> 11) & 0xf;
  if (opcode > 6 || opcode === 3) return false;
  if ((flags & 0x0040) !== 0) return false; // Z bit must be zero
  const qd = (buf[off + 4] << 8) | buf[off + 5];
  const an = (buf[off + 6] << 8) | buf[off + 7];
  const ns = (buf[off + 8] << 8) | buf[off + 9];
  const ar = (buf[off + 10] << 8) | buf[off + 11];
  return qd <= 16 && an <= 512 && ns <= 512 && ar <= 512 && qd + an + ns + ar > 0;
}

/** Where a DNS message was seen: the transport half of DnsMessageEvent. */
export type DnsWireContext = Pick<DnsMessageEvent, 'frame' | 'time' | 'transport' | 'src' | 'dst' | 'srcMac'>;

/** Decode one DNS message; null when it does not decode. */
export function decodeDnsMessage(msg: Buffer, ctx: DnsWireContext): DnsMessageEvent | null {
  let d: dnsPacket.Packet;
  try {
    d = dnsPacket.decode(msg);
  } catch {
    return null;
  }
  const flags = d.flags ?? 0;
  const questions: DnsQuestion[] = [];
  for (const q of d.questions ?? [])
    questions.push({ name: q.name, type: typeName(q.type), class: className(q.class) });
  const ev: DnsMessageEvent = {
    frame: ctx.frame,
    time: ctx.time,
    transport: ctx.transport,
    src: ctx.src,
    dst: ctx.dst,
    id: d.id ?? 0,
    isResponse: d.type === 'response',
    opcode: String((d as { opcode?: string }).opcode ?? 'QUERY'),
    rcode: String((d as { rcode?: string }).rcode ?? 'NOERROR'),
    flags: {
      aa: (flags & 0x0400) !== 0,
      tc: (flags & 0x0200) !== 0,
      rd: (flags & 0x0100) !== 0,
      ra: (flags & 0x0080) !== 0,
      ad: (flags & 0x0020) !== 0,
      cd: (flags & 0x0010) !== 0,
    },
    questions,
    answers: answers(d.answers),
    authorities: answers(d.authorities),
    additionals: answers(d.additionals),
  };
  if (ctx.srcMac !== undefined) ev.srcMac = ctx.srcMac;
  return ev;
}
