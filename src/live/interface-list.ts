import { loadPcapBinding } from './pcap-binding';

export interface LiveInterface {
  name: string;
  description: string | null;
  addresses: string[];
  loopback: boolean;
}

/** What libpcap can open on this host (pcap_findalldevs), as GET /live/interfaces lists it. */
export function listInterfaces(): LiveInterface[] {
  return loadPcapBinding()
    .findalldevs()
    .map((d) => ({
      name: d.name,
      description: d.description ?? null,
      addresses: d.addresses.flatMap((a) => (a?.addr ? [a.addr] : [])),
      loopback: d.flags === 'PCAP_IF_LOOPBACK',
    }));
}
