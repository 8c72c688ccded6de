import { ip6 } from '../../../test/support/frame-builder';
import { ConfigError } from '../config';
import { parseIPv4, parseIPv6 } from '../decode/address';
import { AddressRanges } from './address-ranges';

/** The eight 16-bit groups of an IPv6 text address, or null (parseIPv6 gives its 16 bytes). */
function parseIPv6Groups(s: string): number[] | null {
  const b = parseIPv6(s);
  return b === null ? null : Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
}

describe('AddressRanges', () => {
  const r = new AddressRanges([
    '10.0.0.0/8',
    '172.16.0.0/12',
    '192.168.1.7',
    'fc00::/7',
    'fe80::/10',
    '2001:db8:1::/48',
  ]);
  const v4 = (s: string) => r.has(parseIPv4(s));
  const v6 = (s: string) => {
    const byText = r.has(s);
    expect(r.hasV6At(ip6(s), 0)).toBe(byText); // the byte path agrees with the text path
    return byText;
  };

  it('matches IPv4 prefixes at their boundaries', () => {
    expect([v4('10.0.0.0'), v4('10.255.255.255'), v4('11.0.0.0'), v4('9.255.255.255')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect([v4('172.16.0.1'), v4('172.31.255.255'), v4('172.32.0.0'), v4('172.15.255.255')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect([v4('192.168.1.7'), v4('192.168.1.8')]).toEqual([true, false]);
  });

  it('matches IPv6 prefixes (text and bytes)', () => {
    expect([v6('fd12::1'), v6('fc00::'), v6('fe00::1'), v6('fe80::1'), v6('febf::1'), v6('fec0::1')]).toEqual([
      true,
      true,
      false,
      true,
      true,
      false,
    ]);
    expect([v6('2001:db8:1:ffff::1'), v6('2001:db8:2::1'), v6('::ffff:10.0.0.1')]).toEqual([true, false, false]);
  });

  it('parses IPv6 text forms, refuses bad ones', () => {
    expect(parseIPv6Groups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6Groups('1::2')).toEqual([1, 0, 0, 0, 0, 0, 0, 2]);
    expect(parseIPv6Groups('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(parseIPv6Groups('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const bad of ['1:2:3', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9', '12345::', '1.2.3.4'])
      expect(parseIPv6Groups(bad)).toBeNull();
  });

  it('a bad entry is a ConfigError naming it', () => {
    expect(() => new AddressRanges(['10.0.0.0/33'])).toThrow(new ConfigError('bad network "10.0.0.0/33"'));
    expect(() => new AddressRanges(['intranet'])).toThrow(ConfigError);
    expect(() => new AddressRanges(['fe80::/129'])).toThrow(ConfigError);
  });
});
