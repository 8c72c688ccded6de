/**
 * Decodes one PacketRecord into the reused DecodedPacket: link layer, ARP, IPv4/IPv6 (with
 * fragment reassembly), TCP/UDP/ICMP/ICMPv6. Numbers and offsets only; never throws.
 */
import type { PacketRecord } from '../capture/packet-record';
import type { DecodedPacket } from './decoded-packet';
import { decodeArp } from './arp.decoder';
import { newDecodeStats, type DecodeStats } from './decode-stats';
import { IpDefragmenter, type DefragOptions, type DefragState } from './ip-defragmenter';
import { decodeIpv4 } from './ipv4.decoder';
import { decodeIpv6, walkIpv6Extensions } from './ipv6.decoder';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  decodeEthernet,
  decodeNull,
  decodeRawIp,
  decodeSll,
  decodeSll2,
} from './link.decoder';
import { decodeTransport } from './transport.decoder';

/** LINKTYPE_* values we decode. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW_12: 12,
  RAW_14: 14,
  LOOP: 108,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface PacketDecoderOptions {
  defrag?: DefragOptions;
}

export interface DecoderState {
  version: 1;
  stats: DecodeStats;
  defrag: DefragState;
}

export class PacketDecoder {
  readonly stats: DecodeStats = newDecodeStats();
  private readonly defrag: IpDefragmenter | null;

  constructor(opts: PacketDecoderOptions = {}) {
    this.defrag = opts.defrag?.enabled === false ? null : new IpDefragmenter(opts.defrag ?? {}, this.stats);
  }

  /** Fragments of datagrams not yet complete. */
  get fragmentsInFlight(): number {
    return this.defrag ? this.defrag.inFlight : 0;
  }

  decode(rec: PacketRecord, p: DecodedPacket): void {
    p.buf = rec.buf;
    p.reset();
    p.frame = rec.frame;
    p.linkType = rec.linkType;
    p.interfaceId = rec.interfaceId;
    p.tsSec = rec.tsSec;
    p.tsNsec = rec.tsNsec;
    p.time = rec.tsSec + rec.tsNsec / 1e9;
    p.capLen = rec.capLen;
    p.origLen = rec.origLen;
    p.offset = rec.offset;
    this.stats.packets++;
    try {
      this.decodeLink(p, rec.buf, rec.offset, rec.offset + rec.capLen, rec.capLen < rec.origLen);
    } catch {
      // Every read is bounds-checked; this is a last line of defence so hostile bytes can never
      // stop a capture. Counted under its own reason so a test notices.
      p.malformed = 'link.truncated';
      this.stats.malformedByReason['internal-error'] = (this.stats.malformedByReason['internal-error'] ?? 0) + 1;
    }
    if (p.malformed !== null) {
      this.stats.malformed++;
      this.stats.malformedByReason[p.malformed] = (this.stats.malformedByReason[p.malformed] ?? 0) + 1;
    }
  }

  snapshot(): DecoderState {
    return {
      version: 1,
      stats: JSON.parse(JSON.stringify(this.stats)) as DecodeStats,
      defrag: this.defrag ? this.defrag.snapshot() : { pending: [] },
    };
  }

  restore(s: DecoderState): void {
    const fresh = newDecodeStats();
    Object.assign(this.stats, fresh, JSON.parse(JSON.stringify(s.stats ?? fresh)));
    this.defrag?.restore(s.defrag);
  }

  private decodeLink(p: DecodedPacket, buf: Buffer, off: number, end: number, cut: boolean): void {
    let l3: number;
    switch (p.linkType) {
      case LINKTYPE.ETHERNET:
        p.linkKnown = true;
        l3 = decodeEthernet(p, buf, off, end);
        break;
      case LINKTYPE.RAW:
      case LINKTYPE.RAW_12:
      case LINKTYPE.RAW_14:
        p.linkKnown = true;
        l3 = decodeRawIp(p, buf, off, end);
        break;
      case LINKTYPE.LINUX_SLL:
        p.linkKnown = true;
        l3 = decodeSll(p, buf, off, end);
        break;
      case LINKTYPE.LINUX_SLL2:
        p.linkKnown = true;
        l3 = decodeSll2(p, buf, off, end);
        break;
      case LINKTYPE.NULL:
        p.linkKnown = true;
        l3 = decodeNull(p, buf, off, end, false);
        break;
      case LINKTYPE.LOOP:
        p.linkKnown = true;
        l3 = decodeNull(p, buf, off, end, true);
        break;
      case LINKTYPE.IPV4:
        p.linkKnown = true;
        p.etherType = ETHERTYPE_IPV4;
        l3 = off;
        break;
      case LINKTYPE.IPV6:
        p.linkKnown = true;
        p.etherType = ETHERTYPE_IPV6;
        l3 = off;
        break;
      default: {
        const k = String(p.linkType);
        this.stats.unknownLinkType[k] = (this.stats.unknownLinkType[k] ?? 0) + 1;
        return;
      }
    }
    if (l3 < 0) return;
    const et = p.etherType;
    if (et === ETHERTYPE_IPV4) this.decodeIp(p, buf, decodeIpv4(p, buf, l3, end, cut), end);
    else if (et === ETHERTYPE_IPV6) this.decodeIp(p, buf, decodeIpv6(p, buf, l3, end, cut), end);
    else if (et === ETHERTYPE_ARP) decodeArp(p, buf, l3, end);
  }

  /** Layer 4 after an IP header that ended at `l4` (-1: unusable); fragments go to the defragmenter. */
  private decodeIp(p: DecodedPacket, buf: Buffer, l4: number, end: number): void {
    if (l4 < 0) return;
    const declEnd = p.ipOff + p.ipTotalLen;
    const capEnd = declEnd < end ? declEnd : end;
    const first = p.malformed;
    if (!p.isFragment) {
      decodeTransport(p, buf, l4, capEnd, declEnd, p.ipProto);
    } else {
      this.stats.fragments++;
      if (this.defrag === null) return;
      const whole = this.defrag.add(p, buf, l4, capEnd);
      if (whole === null) return;
      p.reassembled = true;
      p.l4Buf = whole;
      let at = 0;
      if (p.ipVersion === 6) at = walkIpv6Extensions(p, whole, 0, whole.length, whole.length, p.ipProto, true);
      if (at >= 0) decodeTransport(p, whole, at, whole.length, whole.length, p.ipProto);
    }
    // Keep the first problem found (an IP-level one outranks what layer 4 says after it).
    if (first !== null) p.malformed = first;
  }
}
