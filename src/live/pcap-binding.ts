import { LiveCaptureError } from './live-capture-error';

/**
 * The libpcap binding: the native part of the `pcap` package (node_pcap), used directly rather
 * than through its pcap.js, which loads its own protocol decoders and leaves a half-opened
 * handle behind when opening fails (a bad filter would keep an activated capture running until
 * garbage collection). Pinned to the package version whose native interface this describes.
 *
 * Why `pcap` and not `cap`: cap 0.2.1 hands out neither the packet's capture timestamp nor
 * pcap_stats (drops), and fixes snaplen (65535) and promiscuous mode — see README "Live capture".
 */
export interface PcapStats {
  ps_recv: number;
  ps_drop: number;
  ps_ifdrop: number;
}

export interface NativePcapSession {
  /** Returns the link type name ("LINKTYPE_ETHERNET", or "Unknown linktype N"); throws libpcap's message. */
  open_live(
    device: string,
    filter: string,
    bufferSize: number,
    snaplen: number,
    outfile: string,
    packetReady: () => void,
    monitor: boolean,
    bufferTimeoutMs: number,
    warning: (message: string) => void,
    promiscuous: boolean,
  ): string;
  /** Calls packetReady once per packet until the kernel ring is empty; the header is pcap's record header. */
  dispatch(buf: Buffer, header: Buffer): number;
  start_polling(): void;
  read_callback?: () => void;
  stats(): PcapStats;
  close(): void;
}

export interface PcapDevice {
  name: string;
  description?: string;
  addresses: Array<{ addr?: string; netmask?: string; broadaddr?: string; dstaddr?: string } | null>;
  flags?: string;
}

export interface PcapBinding {
  PcapSession: new () => NativePcapSession;
  findalldevs(): PcapDevice[];
  lib_version(): string;
}

let cached: PcapBinding | LiveCaptureError | null = null;

/** The binding, or a LiveCaptureError('unavailable') saying how to build it; loaded once. */
export function loadPcapBinding(): PcapBinding {
  if (cached === null) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = require('pcap/build/Release/pcap_binding.node') as PcapBinding;
    } catch (err) {
      cached = new LiveCaptureError(
        'unavailable',
        'live capture is unavailable: the libpcap binding (npm package "pcap") is not built' +
          ` (${err instanceof Error ? err.message.split('\n')[0] : String(err)}). Install libpcap's headers and rebuild it:` +
          ' apt-get install libpcap-dev && npm rebuild pcap',
      );
    }
  }
  if (cached instanceof LiveCaptureError) throw cached;
  return cached;
}
