import { connectionId } from './connection-id';

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
});
