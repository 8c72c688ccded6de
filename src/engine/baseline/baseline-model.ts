/**
 * The learned picture of one network ("sensor"): what the network-baseline detector learns in
 * learn mode and compares against in detect mode. Plain JSON, versioned, sorted on output so the
 * same packets always give byte-identical files. Bounded: every list has a cap in
 * NetworkBaselineConfig and entries not seen for `forgetAfter` (packet time) are dropped.
 *
 * This module only builds, validates and normalises the data; reading and writing it is the
 * store's job (src/baseline/), so the engine stays free of I/O.
 */

export const BASELINE_FORMAT = 'netwarden-baseline';
export const BASELINE_VERSION = 1;

/** Running mean/variance (Welford): n samples, their mean and the sum of squared deviations. */
export interface RunningStat {
  n: number;
  mean: number;
  m2: number;
}

/** Totals of one host in one hour bucket (hour = floor(packet time / 3600)). */
export interface HourBucket {
  hour: number;
  bytes: number;
  packets: number;
  /** Contacts the host initiated (TCP SYN, a UDP flow it started, an ICMP echo request). */
  conns: number;
}

export interface BaselineHost {
  ip: string;
  /** Source MACs the IP was seen with (capped; several = a router, VRRP or a NIC change). */
  macs: string[];
  firstSeen: number;
  lastSeen: number;
  /** Per-hour statistics over the closed hours in which the host was active. */
  bytes: RunningStat;
  packets: RunningStat;
  conns: RunningStat;
  /** The hour still being counted when learning stopped (a later capture may continue it). */
  open: HourBucket | null;
  /** Addresses this host initiated contact with (capped at maxPeersPerHost). */
  peers: string[];
  /** True when peers hit its cap: later peers were not learned. */
  peersTruncated: boolean;
}

export interface BaselineService {
  ip: string;
  port: number;
  proto: 'tcp' | 'udp';
  firstSeen: number;
  lastSeen: number;
  /** Answers counted (SYN-ACKs, UDP replies). */
  answers: number;
}

export interface BaselineMac {
  mac: string;
  firstSeen: number;
  lastSeen: number;
}

export interface BaselineProtocol {
  /** e.g. "arp", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "ip-proto-47", "ethertype-0x88cc". */
  name: string;
  packets: number;
  bytes: number;
  firstSeen: number;
  lastSeen: number;
}

export interface BaselineModel {
  format: typeof BASELINE_FORMAT;
  version: typeof BASELINE_VERSION;
  /** The network / sensor the model describes: a model is only compared with captures of it. */
  network: string;
  /** Learned period in packet time (s); null while nothing was learned. */
  from: number | null;
  to: number | null;
  /** Distinct hour buckets that held packets (how much history stands behind the statistics). */
  hours: number;
  /** The last hour bucket counted (to count `hours` across captures without double counting). */
  lastHour: number | null;
  packets: number;
  bytes: number;
  hosts: BaselineHost[];
  macs: BaselineMac[];
  services: BaselineService[];
  protocols: BaselineProtocol[];
}

export class BaselineModelError extends Error {}

export function emptyBaselineModel(network: string): BaselineModel {
  return {
    format: BASELINE_FORMAT,
    version: BASELINE_VERSION,
    network,
    from: null,
    to: null,
    hours: 0,
    lastHour: null,
    packets: 0,
    bytes: 0,
    hosts: [],
    macs: [],
    services: [],
    protocols: [],
  };
}

export function emptyStat(): RunningStat {
  return { n: 0, mean: 0, m2: 0 };
}

/** Adds one sample (Welford's online update: numerically stable, order-deterministic). */
export function addSample(s: RunningStat, x: number): void {
  s.n++;
  const d = x - s.mean;
  s.mean += d / s.n;
  s.m2 += d * (x - s.mean);
}

/** Population standard deviation of the samples (0 for fewer than two). */
export function stddev(s: RunningStat): number {
  return s.n < 2 ? 0 : Math.sqrt(s.m2 / s.n);
}

/** Network names: short, printable, no path characters (they name files and database rows). */
export const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length <= 100;

function stat(v: unknown, where: string): RunningStat {
  if (!isObj(v) || !isNum(v.n) || !isNum(v.mean) || !isNum(v.m2) || v.n < 0) throw bad(`${where} is not a statistic`);
  return { n: v.n, mean: v.mean, m2: v.m2 };
}

function bad(why: string): BaselineModelError {
  return new BaselineModelError(why);
}

function list(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw bad(`${where} must be an array`);
  return v;
}

function strings(v: unknown, where: string): string[] {
  const l = list(v, where);
  if (!l.every(isStr)) throw bad(`${where} must hold strings`);
  return l as string[];
}

/**
 * Checks a parsed JSON document is a baseline model this version understands and returns it
 * typed (a copy). Throws BaselineModelError with a one-line reason otherwise.
 */
export function parseBaselineModel(doc: unknown): BaselineModel {
  if (!isObj(doc) || doc.format !== BASELINE_FORMAT)
    throw bad(`not a netwarden baseline (format is not "${BASELINE_FORMAT}")`);
  if (doc.version !== BASELINE_VERSION)
    throw bad(
      `unsupported baseline version ${JSON.stringify(doc.version)} (this netwarden reads version ${BASELINE_VERSION})`,
    );
  if (typeof doc.network !== 'string' || !NETWORK_NAME.test(doc.network)) throw bad('network name missing or invalid');
  const optNum = (v: unknown, w: string) => {
    if (v !== null && !isNum(v)) throw bad(`${w} must be a number or null`);
    return v;
  };
  const num = (v: unknown, w: string) => {
    if (!isNum(v)) throw bad(`${w} must be a number`);
    return v;
  };
  const hosts = list(doc.hosts, 'hosts').map((h, i): BaselineHost => {
    const w = `hosts[${i}]`;
    if (!isObj(h) || !isStr(h.ip)) throw bad(`${w}.ip missing`);
    let open: HourBucket | null = null;
    if (h.open !== null) {
      const o = h.open;
      if (!isObj(o) || !isNum(o.hour) || !isNum(o.bytes) || !isNum(o.packets) || !isNum(o.conns))
        throw bad(`${w}.open is not an hour bucket`);
      open = { hour: o.hour, bytes: o.bytes, packets: o.packets, conns: o.conns };
    }
    return {
      ip: h.ip,
      macs: strings(h.macs, `${w}.macs`),
      firstSeen: num(h.firstSeen, `${w}.firstSeen`),
      lastSeen: num(h.lastSeen, `${w}.lastSeen`),
      bytes: stat(h.bytes, `${w}.bytes`),
      packets: stat(h.packets, `${w}.packets`),
      conns: stat(h.conns, `${w}.conns`),
      open,
      peers: strings(h.peers, `${w}.peers`),
      peersTruncated: h.peersTruncated === true,
    };
  });
  const services = list(doc.services, 'services').map((s, i): BaselineService => {
    const w = `services[${i}]`;
    if (!isObj(s) || !isStr(s.ip) || !isNum(s.port) || (s.proto !== 'tcp' && s.proto !== 'udp'))
      throw bad(`${w} is not a service`);
    return {
      ip: s.ip,
      port: s.port,
      proto: s.proto,
      firstSeen: num(s.firstSeen, `${w}.firstSeen`),
      lastSeen: num(s.lastSeen, `${w}.lastSeen`),
      answers: num(s.answers, `${w}.answers`),
    };
  });
  const macs = list(doc.macs, 'macs').map((m, i): BaselineMac => {
    const w = `macs[${i}]`;
    if (!isObj(m) || !isStr(m.mac)) throw bad(`${w} is not a MAC entry`);
    return { mac: m.mac, firstSeen: num(m.firstSeen, `${w}.firstSeen`), lastSeen: num(m.lastSeen, `${w}.lastSeen`) };
  });
  const protocols = list(doc.protocols, 'protocols').map((p, i): BaselineProtocol => {
    const w = `protocols[${i}]`;
    if (!isObj(p) || !isStr(p.name)) throw bad(`${w} is not a protocol entry`);
    return {
      name: p.name,
      packets: num(p.packets, `${w}.packets`),
      bytes: num(p.bytes, `${w}.bytes`),
      firstSeen: num(p.firstSeen, `${w}.firstSeen`),
      lastSeen: num(p.lastSeen, `${w}.lastSeen`),
    };
  });
  return {
    format: BASELINE_FORMAT,
    version: BASELINE_VERSION,
    network: doc.network,
    from: optNum(doc.from, 'from') as number | null,
    to: optNum(doc.to, 'to') as number | null,
    hours: num(doc.hours, 'hours'),
    lastHour: optNum(doc.lastHour, 'lastHour') as number | null,
    packets: num(doc.packets, 'packets'),
    bytes: num(doc.bytes, 'bytes'),
    hosts,
    macs,
    services,
    protocols,
  };
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** Sorts every list (and host's peers/MACs) so equal models serialise to equal bytes. */
export function normalizeBaselineModel(m: BaselineModel): BaselineModel {
  return {
    ...m,
    hosts: m.hosts
      .map((h) => ({ ...h, macs: [...h.macs].sort(), peers: [...h.peers].sort() }))
      .sort((a, b) => cmp(a.ip, b.ip)),
    macs: [...m.macs].sort((a, b) => cmp(a.mac, b.mac)),
    services: [...m.services].sort((a, b) => cmp(a.ip, b.ip) || a.port - b.port || cmp(a.proto, b.proto)),
    protocols: [...m.protocols].sort((a, b) => cmp(a.name, b.name)),
  };
}
