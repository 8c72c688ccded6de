import { connectionId, connectionId4 } from './connection-id';

describe('connectionId', () => {
  it('spells the ConnectionInfo.id format exactly', () => {
    expect(connectionId('10.0.0.1', 51234, '192.168.100.200', 443, 7)).toBe('10.0.0.1:51234-192.168.100.200:443#7');
    expect(connectionId('2001:db8::1', 0, '::ffff:1.2.3.4', 65535, 9007199254740991)).toBe(
      '2001:db8::1:0-::ffff:1.2.3.4:65535#9007199254740991',
    );
    expect(connectionId('', 5, '', 80, 0)).toBe(':5-:80#0');
  });

  it('falls back to plain formatting for anything but ASCII texts and integer ports/counters', () => {
    expect(connectionId('é', 1, 'x', 2, 3)).toBe('é:1-x:2#3');
    expect(connectionId('a', 1.5, 'b', 2, 3)).toBe('a:1.5-b:2#3');
    expect(connectionId('a', 1, 'b', 2, -1)).toBe('a:1-b:2#-1');
    expect(connectionId('a', 1, 'b', 2, 1e21)).toBe('a:1-b:2#1e+21');
  });

  it('does not carry bytes over from a longer previous id', () => {
    connectionId('255.255.255.255', 65535, '255.255.255.255', 65535, 123456789);
    expect(connectionId('1.1.1.1', 1, '2.2.2.2', 2, 3)).toBe('1.1.1.1:1-2.2.2.2:2#3');
  });

  it('connectionId4 spells the same id from 32-bit addresses', () => {
    expect(connectionId4(0x0a000001, 51234, 0xc0a864c8, 443, 7)).toBe('10.0.0.1:51234-192.168.100.200:443#7');
    expect(connectionId4(0xffffffff, 65535, 0, 0, 9007199254740991)).toBe(
      '255.255.255.255:65535-0.0.0.0:0#9007199254740991',
    );
    expect(connectionId4(-1, 1.5, 0x01020304, 2, 3)).toBe('255.255.255.255:1.5-1.2.3.4:2#3');
    expect(connectionId4(0x01010101, 1, 0x02020202, 2, 3)).toBe('1.1.1.1:1-2.2.2.2:2#3');
  });
});
