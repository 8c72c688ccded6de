import type { GatewayMacConfig } from '../config';
import { isSpecialUseIPv4 } from '../decode/address-class';
import { formatIPv4, parseIPv4 } from '../decode/address';
import type { DecodedPacket } from '../decode/decoded-packet';
import { isStationMac, macAt, macHasPrefix, macText } from '../decode/mac';
import { DHCP_ACK, DHCP_CLIENT_PORT, DHCP_OFFER, DHCP_SERVER_PORT, parseDhcpReply } from '../protocols/dhcp';
import type { Detector, DetectorContext } from './detector';

/**
 * The default gateway's MAC address changing (MITRE T1557.002): the one ARP entry whose
 * poisoning hands an attacker every off-subnet flow.
 *
 * Gateway IPs come from, in order: configuration; the router option (3) of a DHCP OFFER/ACK in
 * the capture; else the MAC that carries the bulk of traffic between private and public
 * addresses is the gateway's, and the address it claims in ARP is the gateway IP. The gateway's
 * MAC is learned from its first ARP claim or from a packet it sent itself (IP source = gateway).
 * Any ARP claim of the gateway IP by another MAC is a finding (high): one per gateway, counting
 * the claims, naming the known and the new MAC(s). Virtual router MACs (VRRP/HSRP) may take over.
 */

const MITRE = 'T1557.002';
const MAX_GATEWAYS = 16;
const MAX_CANDIDATES = 256;
const MAX_NEW_MACS = 8;

type Source = 'config' | 'dhcp' | 'traffic';

interface Gateway {
  ip: number;
  source: Source;
  /** Known MAC, -1 until learned; how and in which frame it was learned. */
  mac: number;
  learnedFrom: string;
  learnedFrame: number;
  newMacs: number[];
  claims: number;
}

export interface GatewayMacState {
  gateways: Gateway[];
  /** Traffic inference: packets to/from public addresses per MAC, their total, the result (-1 none yet). */
  candidates: Array<[number, number]>;
  total: number;
  inferredMac: number;
  /** Last IP each MAC claimed in ARP (bounded), to name an inferred gateway's address. */
  arpIps: Array<[number, number]>;
}

function isPrivate(a: number): boolean {
  const hi = a >>> 24;
  return hi === 10 || (hi === 172 && ((a >>> 16) & 0xf0) === 16) || a >>> 16 === 0xc0a8 || a >>> 22 === 0x191; // 100.64/10
}

/** Routable public unicast: not private, loopback, link-local, multicast or reserved. */
function isPublic(a: number): boolean {
  return !isSpecialUseIPv4(a >>> 0);
}

export class GatewayMacDetector implements Detector<GatewayMacState> {
  readonly id = 'gateway-mac';
  private gateways: Gateway[] = [];
  private candidates = new Map<number, number>();
  private total = 0;
  private inferredMac = -1;
  private arpIps = new Map<number, number>();

  constructor(private readonly config: GatewayMacConfig) {
    for (const s of config.gateways) {
      const ip = parseIPv4(s);
      if (!Number.isNaN(ip)) this.gateways.push(this.newGateway(ip, 'config'));
    }
  }

  private newGateway(ip: number, source: Source): Gateway {
    return { ip, source, mac: -1, learnedFrom: '', learnedFrame: 0, newMacs: [], claims: 0 };
  }

  private virtual(mac: number): boolean {
    return macHasPrefix(mac, this.config.virtualMacPrefixes);
  }

  onPacket(p: DecodedPacket, ctx: DetectorContext): void {
    if (p.isArp) {
      if (p.malformed === null) this.arp(p, ctx);
      return;
    }
    if (p.ipVersion !== 4 || p.srcMacOff < 0) return;
    const gws = this.gateways;
    for (let i = 0; i < gws.length; i++) {
      const g = gws[i];
      if (g.mac < 0 && p.src4 === g.ip) this.learn(g, macAt(p.buf, p.srcMacOff), 'ip', p.frame);
    }
    if (p.ipProto === 17 && p.srcPort === DHCP_SERVER_PORT && p.dstPort === DHCP_CLIENT_PORT && p.l4Off >= 0) {
      this.dhcp(p);
    }
    if (this.inferredMac < 0 && gws.length === 0) this.count(p);
  }

  private learn(g: Gateway, mac: number, how: string, frame: number): void {
    if (!isStationMac(mac)) return;
    g.mac = mac;
    g.learnedFrom = how;
    g.learnedFrame = frame;
  }

  private dhcp(p: DecodedPacket): void {
    const info = parseDhcpReply(p.l4Buf, p.payloadOff, p.payloadLen);
    if (info === null || (info.messageType !== DHCP_OFFER && info.messageType !== DHCP_ACK)) return;
    for (const r of info.routers) {
      if (r === 0 || this.gateways.some((g) => g.ip === r) || this.gateways.length >= MAX_GATEWAYS) continue;
      const g = this.newGateway(r, 'dhcp');
      // A router that is also the DHCP server sent this reply itself.
      if (p.src4 === r) this.learn(g, macAt(p.buf, p.srcMacOff), 'ip', p.frame);
      this.gateways.push(g);
    }
  }

  private count(p: DecodedPacket): void {
    let mac: number;
    if (isPrivate(p.src4) && isPublic(p.dst4)) {
      if (p.dstMacOff < 0) return;
      mac = macAt(p.buf, p.dstMacOff);
    } else if (isPublic(p.src4) && isPrivate(p.dst4)) {
      mac = macAt(p.buf, p.srcMacOff);
    } else return;
    if (!isStationMac(mac)) return;
    this.total++;
    let n = this.candidates.get(mac);
    if (n === undefined) {
      if (this.candidates.size >= MAX_CANDIDATES) return;
      n = 0;
    }
    this.candidates.set(mac, ++n);
    if (n >= this.config.inferMinPackets && n >= this.config.inferMinShare * this.total) {
      this.inferredMac = mac;
      this.candidates.clear();
      const ip = this.arpIps.get(mac);
      if (ip !== undefined) this.addInferred(ip, mac, p.frame);
    }
  }

  private addInferred(ip: number, mac: number, frame: number): void {
    if (this.gateways.length >= MAX_GATEWAYS) return;
    const g = this.newGateway(ip, 'traffic');
    this.learn(g, mac, 'traffic', frame);
    this.gateways.push(g);
  }

  private arp(p: DecodedPacket, ctx: DetectorContext): void {
    const ip = p.arpSenderIp >>> 0;
    const mac = macAt(p.buf, p.arpSenderMacOff);
    if (ip === 0 || !isStationMac(mac)) return;
    if (this.gateways.length === 0) {
      if (this.arpIps.size >= MAX_CANDIDATES && !this.arpIps.has(mac))
        this.arpIps.delete(this.arpIps.keys().next().value!);
      this.arpIps.set(mac, ip);
      if (this.inferredMac === mac) this.addInferred(ip, mac, p.frame);
      return;
    }
    for (const g of this.gateways) {
      if (g.ip !== ip) continue;
      if (g.mac < 0) this.learn(g, mac, 'arp', p.frame);
      else if (mac !== g.mac) {
        if (this.virtual(mac)) continue; // VRRP/HSRP virtual MAC answering for its address
        this.report(p, g, mac, ctx);
      }
    }
  }

  private report(p: DecodedPacket, g: Gateway, mac: number, ctx: DetectorContext): void {
    g.claims++;
    if (!g.newMacs.includes(mac) && g.newMacs.length < MAX_NEW_MACS) g.newMacs.push(mac);
    const ip = formatIPv4(g.ip);
    const known = macText(g.mac);
    const now = macText(mac);
    const how =
      g.learnedFrom === 'arp'
        ? `its ARP claim in frame ${g.learnedFrame}`
        : g.learnedFrom === 'ip'
          ? `packets it sent (frame ${g.learnedFrame})`
          : `the traffic it carries (frame ${g.learnedFrame})`;
    const origin =
      g.source === 'config'
        ? 'configured'
        : g.source === 'dhcp'
          ? 'the router handed out by DHCP (option 3)'
          : 'inferred from off-subnet traffic';
    ctx.report({
      key: `gw|${ip}`,
      type: 'gateway-mac-change',
      severity: 'high',
      mitre: MITRE,
      title: `Gateway ${ip} claimed by another MAC: ${known} → ${now}`,
      description:
        `The default gateway ${ip} (${origin}) is at ${known}, learned from ${how}; ${now} now claims it in ARP. ` +
        'Hosts that accept the claim send all off-subnet traffic through that MAC: a man-in-the-middle on the gateway.',
      time: p.time,
      frame: p.frame,
      count: g.claims,
      src: { ip, mac: now },
      dst: { ip: formatIPv4(p.arpTargetIp >>> 0) },
      details: {
        gateway: ip,
        gatewaySource: g.source,
        knownMac: known,
        knownMacLearnedFrom: g.learnedFrom,
        knownMacFrame: g.learnedFrame,
        newMacs: g.newMacs.map(macText),
        ...(p.srcMacOff >= 0 ? { ethernetSource: macText(macAt(p.buf, p.srcMacOff)) } : {}),
      },
    });
  }

  snapshot(): GatewayMacState {
    return {
      gateways: structuredClone(this.gateways),
      candidates: [...this.candidates],
      total: this.total,
      inferredMac: this.inferredMac,
      arpIps: [...this.arpIps],
    };
  }

  restore(s: GatewayMacState): void {
    this.gateways = structuredClone(s.gateways);
    this.candidates = new Map(s.candidates);
    this.total = s.total;
    this.inferredMac = s.inferredMac;
    this.arpIps = new Map(s.arpIps);
  }
}
