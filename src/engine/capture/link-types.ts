/**
 * LINKTYPE_* values (tcpdump.org/linktypes.html) that the engine decodes or names in messages.
 * The numbers are what pcap headers and pcapng IDBs carry, not the platform DLT_* values
 * (which differ for raw IP: DLT_RAW is 12 or 14 on some BSDs, hence RAW_BSD/RAW_OPENBSD).
 */
export const LINKTYPE_NULL = 0; // BSD loopback: 4-byte host-order address family
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_FDDI = 10;
export const LINKTYPE_RAW_BSD = 12; // raw IP as written by some BSDs (DLT_RAW = 12)
export const LINKTYPE_RAW_OPENBSD = 14; // raw IP as written by OpenBSD (DLT_RAW = 14)
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_PPP_ETHER = 51;
export const LINKTYPE_RAW = 101; // raw IPv4/IPv6, version nibble decides
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_LOOP = 108; // OpenBSD loopback: 4-byte network-order address family
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
export const LINKTYPE_IEEE802_11_PRISM = 119;
export const LINKTYPE_PFLOG = 117;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_NETANALYZER = 240;
export const LINKTYPE_LINUX_SLL2 = 276;

const NAMES: ReadonlyMap<number, string> = new Map([
  [LINKTYPE_NULL, 'NULL (BSD loopback)'],
  [LINKTYPE_ETHERNET, 'ETHERNET'],
  [LINKTYPE_PPP, 'PPP'],
  [LINKTYPE_FDDI, 'FDDI'],
  [LINKTYPE_RAW_BSD, 'RAW (DLT 12)'],
  [LINKTYPE_RAW_OPENBSD, 'RAW (DLT 14)'],
  [LINKTYPE_PPP_HDLC, 'PPP_HDLC'],
  [LINKTYPE_PPP_ETHER, 'PPP_ETHER (PPPoE)'],
  [LINKTYPE_RAW, 'RAW (IP)'],
  [LINKTYPE_C_HDLC, 'C_HDLC'],
  [LINKTYPE_IEEE802_11, 'IEEE802_11'],
  [LINKTYPE_LOOP, 'LOOP (OpenBSD loopback)'],
  [LINKTYPE_LINUX_SLL, 'LINUX_SLL'],
  [LINKTYPE_PFLOG, 'PFLOG'],
  [LINKTYPE_IEEE802_11_PRISM, 'IEEE802_11_PRISM'],
  [LINKTYPE_IEEE802_11_RADIOTAP, 'IEEE802_11_RADIOTAP'],
  [LINKTYPE_IPV4, 'IPV4'],
  [LINKTYPE_IPV6, 'IPV6'],
  [LINKTYPE_NFLOG, 'NFLOG'],
  [LINKTYPE_NETANALYZER, 'NETANALYZER'],
  [LINKTYPE_LINUX_SLL2, 'LINUX_SLL2'],
]);

/** "ETHERNET (1)", or "link type 147" for values we have no name for. For messages only. */
export function linkTypeName(linkType: number): string {
  const name = NAMES.get(linkType);
  return name === undefined ? `link type ${linkType}` : `${name} (${linkType})`;
}
