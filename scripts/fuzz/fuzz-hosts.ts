/**
 * Addresses and names the structure-aware generator draws from. Few on purpose: detectors keyed
 * by host pairs (spoofing, hijack, scans) only fire when traffic repeats hosts; the intel index
 * lists some of them so threat-intel matches too.
 */
export const FUZZ_HOSTS = {
  v4: ['10.0.0.1', '10.0.0.2', '192.168.1.1', '8.8.8.8', '203.0.113.7', '255.255.255.255', '224.0.0.251', '0.0.0.0'],
  v6: ['2001:db8::1', '2001:db8::2', 'fe80::1', 'ff02::1', '::1', '::'],
  macs: ['aa:bb:cc:00:00:01', 'aa:bb:cc:00:00:02', 'aa:bb:cc:00:00:03', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:fb'],
} as const;

export const FUZZ_NAMES = ['evil.test', 'bank.test', 'www.google.com', 'a.b.c.d.e.example', 'xn--nxasmq6b.test'];
