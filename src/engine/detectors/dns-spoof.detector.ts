import type { DnsSpoofConfig } from '../config';
import { parseIPv4, parseIPv6 } from '../decode/address';
import { isInternalIPv4, isInternalIPv6 } from '../decode/address-class';
import type { DnsMessageEvent } from '../events';
import type { Detector, DetectorContext } from './detector';
import { shown } from '../finding-text';

/** Longest packet text shown (names in titles and details). */
const MAX_SHOWN = 100;

/**
 * DNS spoofing (MITRE T1557; rebinding T1584.002). Responses are matched to their query by
 * (transport, client, server, client port, transaction id, name, type):
 *
 * - `dns-spoofing`: two or more responses to one query whose answers differ, within
 *   `raceWindow` — the race an on-path forger (dnsspoof) runs against the real resolver. The
 *   finding lists each response's answers and the MAC it came from (a forger spoofs the server's
 *   IP but sends from its own MAC). One finding per (client, name, type), counting raced queries.
 * - `dns-response-wrong-server`: a response to a pending query from an address the query did not
 *   go to.
 * - `dns-unsolicited-responses`: responses matching no query, `unsolicitedResponses` or more per
 *   client within `unsolicitedWindow` (blind / Kaminsky-style id guessing).
 * - `dns-rebinding`: a public name answered with a private, loopback or link-local address,
 *   unless the name is under an allow-listed suffix.
 *
 * One response per query is normal whatever its addresses (round robin, CDNs): answer sets are
 * compared sorted, and only between responses to the same query. mDNS/LLMNR are not DNS
 * transactions in this sense (multicast, unsolicited by design) and are skipped.
 */

const MULTICAST_NAME_PORTS = new Set([5353, 5355]);
const MAX_RESPONSES = 4;
const MAX_SERVERS = 4;

interface Pending {
  servers: string[];
  time: number;
  frame: number;
  /** Distinct responses seen: answer signature, first frame/time, source MAC. */
  responses: Array<{ sig: string; frame: number; time: number; src: string; mac?: string; ttl: number[] }>;
  raced: boolean;
}

interface Unsolicited {
  times: number[];
  total: number;
  frames: Array<[number, number]>;
  reported: boolean;
}

export interface DnsSpoofState {
  pending: Array<[string, Pending]>;
  unsolicited: Array<[string, Unsolicited]>;
  raced: Array<[string, number]>;
}

/** Answer records that say where a name is: compared as a sorted set, with the rcode. */
function signature(e: DnsMessageEvent): string {
  const parts = e.answers
    .filter((a) => a.type === 'A' || a.type === 'AAAA' || a.type === 'CNAME')
    .map((a) => `${a.type} ${a.data.toLowerCase()}`)
    .sort();
  return `${e.rcode}|${parts.join(',')}`;
}

/** An A/AAAA answer naming a private, loopback, link-local or unspecified address (RFC 1918, 6598, 3927, 4193, 4291). */
function internalAddress(type: string, data: string): boolean {
  if (type === 'A') {
    const a = parseIPv4(data);
    return !Number.isNaN(a) && isInternalIPv4(a);
  }
  if (type === 'AAAA') {
    const b = parseIPv6(data);
    return b !== null && isInternalIPv6(b, 0);
  }
  return false;
}

export class DnsSpoofDetector implements Detector<DnsSpoofState> {
  readonly id = 'dns-spoof';
  private pending = new Map<string, Pending>();
  private unsolicited = new Map<string, Unsolicited>();
  /** Raced queries per (client, name, type) finding key. */
  private raced = new Map<string, number>();

  constructor(private readonly config: DnsSpoofConfig) {}

  onDns(e: DnsMessageEvent, ctx: DetectorContext): void {
    if (MULTICAST_NAME_PORTS.has(e.src.port) || MULTICAST_NAME_PORTS.has(e.dst.port)) return;
    if (e.opcode !== 'QUERY' || e.questions.length === 0) return;
    const q = e.questions[0];
    if (!e.isResponse) {
      this.query(e, q.name.toLowerCase(), q.type);
      return;
    }
    this.response(e, q.name.toLowerCase(), q.type, ctx);
    this.rebinding(e, q.name.toLowerCase(), ctx);
  }

  private key(transport: string, client: { ip: string; port: number }, id: number, name: string, type: string) {
    return `${transport}|${client.ip}|${client.port}|${id}|${name}|${type}`;
  }

  private expire(now: number): void {
    const limit = this.config.queryTimeout;
    for (const [k, p] of this.pending) {
      if (now - p.time <= limit) break; // insertion order ≈ time order
      this.pending.delete(k);
    }
  }

  private query(e: DnsMessageEvent, name: string, type: string): void {
    this.expire(e.time);
    const k = this.key(e.transport, e.src, e.id, name, type);
    const p = this.pending.get(k);
    if (p !== undefined) {
      // A retransmission (or the same query to another server): keep its responses.
      if (!p.servers.includes(e.dst.ip) && p.servers.length < MAX_SERVERS) p.servers.push(e.dst.ip);
      return;
    }
    if (this.pending.size >= this.config.maxPending) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(k, { servers: [e.dst.ip], time: e.time, frame: e.frame, responses: [], raced: false });
  }

  private response(e: DnsMessageEvent, name: string, type: string, ctx: DetectorContext): void {
    const k = this.key(e.transport, e.dst, e.id, name, type);
    const p = this.pending.get(k);
    if (p === undefined || e.time - p.time > this.config.queryTimeout) {
      this.unsolicitedResponse(e, name, type, ctx);
      return;
    }
    if (!p.servers.includes(e.src.ip)) {
      ctx.report({
        key: `wrong-server|${e.dst.ip}|${e.src.ip}`,
        type: 'dns-response-wrong-server',
        severity: 'medium',
        mitre: 'T1557',
        title: `DNS response from ${e.src.ip}, which was not asked (query to ${p.servers[0]})`,
        description:
          `${e.dst.ip} asked ${p.servers.join(', ')} for ${shown(name, MAX_SHOWN)} ${type} (id ${e.id}) and got an answer from ${e.src.ip}. ` +
          'A resolver answers from the address it was asked; an answer from elsewhere is a forgery attempt (or a broken multi-homed server).',
        time: e.time,
        frame: e.frame,
        frames: [p.frame],
        src: { ip: e.src.ip, port: e.src.port, ...(e.srcMac !== undefined ? { mac: e.srcMac } : {}) },
        dst: { ip: e.dst.ip, port: e.dst.port },
        details: { name: shown(name, 253), qtype: type, id: e.id, queriedServers: [...p.servers] },
      });
      return;
    }
    const sig = signature(e);
    const seen = p.responses.find((r) => r.sig === sig);
    if (seen !== undefined) return; // the same answer again: a duplicate, not a race
    if (p.responses.length < MAX_RESPONSES) {
      p.responses.push({
        sig,
        frame: e.frame,
        time: e.time,
        src: e.src.ip,
        ...(e.srcMac !== undefined ? { mac: e.srcMac } : {}),
        ttl: e.answers.slice(0, 8).map((a) => a.ttl),
      });
    }
    if (p.responses.length < 2 || e.time - p.responses[0].time > this.config.raceWindow) return;
    const fk = `race|${e.dst.ip}|${name}|${type}`;
    if (!p.raced) {
      p.raced = true;
      if (!this.raced.has(fk) && this.raced.size >= this.config.maxPending)
        this.raced.delete(this.raced.keys().next().value!);
      this.raced.set(fk, (this.raced.get(fk) ?? 0) + 1);
    }
    const raced = this.raced.get(fk);
    const macs = [...new Set(p.responses.map((r) => r.mac).filter((m): m is string => m !== undefined))];
    const earlier = p.responses.filter((r) => r.frame !== e.frame);
    // The race starts with the earlier response(s): reported first, so evidence reads in order.
    const first = p.responses.length === 2 && earlier.length > 0;
    const pend = p;
    const cfg = this.config;
    const report = (frame: number, time: number) => {
      ctx.report({
        key: fk,
        type: 'dns-spoofing',
        severity: 'high',
        mitre: 'T1557',
        title: `DNS spoofing: differing answers for ${shown(name, MAX_SHOWN)} ${type} to ${e.dst.ip}`,
        description:
          `${e.dst.ip} asked ${pend.servers[0]} for ${shown(name, MAX_SHOWN)} ${type} (id ${e.id}) and received ${pend.responses.length} responses ` +
          `with different answers within ${cfg.raceWindow} s` +
          `${macs.length > 1 ? `, sent from different MACs (${macs.join(', ')})` : ''}: the race a forger runs against the real ` +
          'resolver. Whichever arrived first is what the client used.',
        time,
        frame,
        count: raced,
        src: { ip: e.src.ip, port: e.src.port },
        dst: { ip: e.dst.ip },
        details: {
          name: shown(name, 253),
          qtype: type,
          queryFrame: pend.frame,
          responses: pend.responses.map((r) => ({
            frame: r.frame,
            answers: shown(r.sig.slice(r.sig.indexOf('|') + 1), 300),
            rcode: r.sig.slice(0, r.sig.indexOf('|')),
            ttl: r.ttl,
            ...(r.mac !== undefined ? { mac: r.mac } : {}),
          })),
          macs,
        },
      });
    };
    if (first) for (const r of earlier) report(r.frame, r.time);
    report(e.frame, e.time);
  }

  private unsolicitedResponse(e: DnsMessageEvent, name: string, type: string, ctx: DetectorContext): void {
    const c = this.config;
    let u = this.unsolicited.get(e.dst.ip);
    if (u === undefined) {
      if (this.unsolicited.size >= c.maxPending) this.unsolicited.delete(this.unsolicited.keys().next().value!);
      u = { times: [], total: 0, frames: [], reported: false };
      this.unsolicited.set(e.dst.ip, u);
    }
    u.total++;
    if (u.frames.length < 10) u.frames.push([e.frame, e.time]);
    u.times = u.times.filter((t) => e.time - t <= c.unsolicitedWindow && t <= e.time);
    u.times.push(e.time);
    if (u.times.length > c.unsolicitedResponses) u.times.shift();
    if (!u.reported && u.times.length < c.unsolicitedResponses) return;
    const replay = u.reported ? [] : u.frames.filter(([f]) => f !== e.frame);
    u.reported = true;
    const report = (frame: number, time: number, count: number) =>
      ctx.report({
        key: `unsolicited|${e.dst.ip}`,
        type: 'dns-unsolicited-responses',
        severity: 'medium',
        mitre: 'T1557',
        title: `DNS responses nobody asked for, sent to ${e.dst.ip}`,
        description:
          `${e.dst.ip} received DNS responses matching no query it sent (${c.unsolicitedResponses} or more within ${c.unsolicitedWindow} s): ` +
          'blind spoofing guesses transaction ids and ports this way (Kaminsky-style cache poisoning).',
        time,
        frame,
        count,
        src: { ip: e.src.ip },
        dst: { ip: e.dst.ip },
        details: { lastName: shown(name, 253), lastType: type, lastId: e.id },
      });
    replay.forEach(([f, t], i) => report(f, t, i + 1));
    report(e.frame, e.time, u.total);
  }

  private rebinding(e: DnsMessageEvent, qname: string, ctx: DetectorContext): void {
    for (const a of e.answers) {
      if (a.type !== 'A' && a.type !== 'AAAA') continue;
      if (!internalAddress(a.type, a.data)) continue;
      const name = a.name.toLowerCase().replace(/\.$/, '');
      if (!name.includes('.')) continue; // single-label names are local by nature
      const allowed = this.config.rebindAllowedSuffixes.some((s) => {
        const suffix = s.toLowerCase().replace(/^\./, '');
        return name === suffix || name.endsWith(`.${suffix}`);
      });
      if (allowed) continue;
      ctx.report({
        key: `rebind|${name}`,
        type: 'dns-rebinding',
        severity: 'medium',
        mitre: 'T1584.002',
        title: `Public name ${shown(name, MAX_SHOWN)} answered with internal address ${a.data}`,
        description:
          `${shown(name, MAX_SHOWN)} (asked as ${shown(qname, MAX_SHOWN)}) resolved to ${a.data}, a private/loopback/link-local address. ` +
          "DNS rebinding points a public name at internal hosts to get around the browser's same-origin policy; " +
          'split-horizon names that really are internal belong in rebindAllowedSuffixes.',
        time: e.time,
        frame: e.frame,
        src: { ip: e.src.ip },
        dst: { ip: e.dst.ip },
        details: { name: shown(name, 253), address: a.data, ttl: a.ttl },
      });
    }
  }

  snapshot(): DnsSpoofState {
    return {
      pending: structuredClone([...this.pending]),
      unsolicited: structuredClone([...this.unsolicited]),
      raced: [...this.raced],
    };
  }

  restore(s: DnsSpoofState): void {
    this.pending = new Map(structuredClone(s.pending));
    this.unsolicited = new Map(structuredClone(s.unsolicited));
    this.raced = new Map(s.raced);
  }
}
