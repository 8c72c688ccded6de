import * as F from '../../../test/support/frame-builder';
import { formatIPv4, formatIPv6, formatMac, parseIPv4 } from './address';

describe('address text', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['0:0:1:0:0:0:0:0', '0:0:1::'],
    ['::ffff:192.0.2.128', '::ffff:192.0.2.128'],
    ['FF02:0:0:0:0:0:0:FB', 'ff02::fb'],
    ['::192.0.2.128', '::192.0.2.128'],
    ['::1.0.0.0', '::1.0.0.0'],
    ['::0.0.1.0', '::100'],
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
    ['0:0:0:0:ffff::1', '::ffff:0:0:1'],
  ])('IPv6 %s -> %s (RFC 5952, as tshark prints)', (input, text) => {
    const b = Buffer.concat([Buffer.from([9, 9]), F.ip6(input)]);
    expect(formatIPv6(b, 2)).toBe(text);
  });

  it('IPv4 and MAC', () => {
    expect(formatIPv4(0xc0a80001)).toBe('192.168.0.1');
    expect(formatIPv4(0xffffffff)).toBe('255.255.255.255');
    expect(formatMac(Buffer.from([0, 0x0a, 0xbc, 0xde, 0xf0, 0x01, 0xff]), 1)).toBe('0a:bc:de:f0:01:ff');
    expect(parseIPv4('10.231.0.66')).toBe(0x0ae70042);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect([parseIPv4('1.2.3'), parseIPv4('1.2.3.256'), parseIPv4('a.b.c.d'), parseIPv4('1.2.3.4 ')]).toEqual([
      NaN,
      NaN,
      NaN,
      NaN,
    ]);
  });
});
