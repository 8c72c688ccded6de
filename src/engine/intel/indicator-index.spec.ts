import { parseIPv4 } from '../decode/address';
import { IndicatorIndexBuilder, type IndicatorHit, type IndicatorIndex, type IndicatorKind } from './indicator-index';
import { parseIPv6 } from '../decode/address';
import { normalizeDomain, normalizeUrl } from './indicator-text';

function build(entries: Array<[feed: string, kind: IndicatorKind, value: string]>): {
  index: IndicatorIndex;
  refused: Array<[string, string]>;
} {
  const b = new IndicatorIndexBuilder();
  const feeds = new Map<string, number>();
  const refused: Array<[string, string]> = [];
  for (const [feed, kind, value] of entries) {
    if (!feeds.has(feed)) feeds.set(feed, b.addFeed({ name: feed, severity: 'high' }));
    const why = b.add(feeds.get(feed)!, kind, value);
    if (why !== null) refused.push([value, why]);
  }
  return { index: build2(b), refused };
}
const build2 = (b: IndicatorIndexBuilder) => b.build();

/** Hits as `indicator@feed+feed` strings, in the index's order (most specific first). */
function names(index: IndicatorIndex, hits: IndicatorHit[]): string[] {
  return hits.map((h) => `${h.indicator}@${h.feeds.map((f) => index.feeds[f].name).join('+')}`);
}

describe('IndicatorIndex: IPv4', () => {
  const { index, refused } = build([
    ['a', 'ip', '198.51.100.7'],
    ['a', 'ip', '10.0.0.0/8'],
    ['b', 'ip', '10.1.0.0/16'],
    ['b', 'ip', '10.1.2.0/24'],
    ['a', 'ip', '10.1.2.3'],
    ['b', 'ip', '10.1.2.3'], // same address in a second feed: one indicator, two feeds
    ['a', 'ip', '10.9.9.9/16'], // host bits set: masked to 10.9.0.0/16
    ['a', 'ip', '0.0.0.0/0'],
    ['b', 'ip', '255.255.255.255'],
    ['a', 'ip', '192.0.2.0/31'],
    ['a', 'ip', '300.1.1.1'],
    ['a', 'ip', '1.2.3.4/33'],
    ['a', 'ip', '1.2.3.4/x'],
    ['a', 'ip', 'evil.com'],
  ]);

  it('refuses bad addresses with a reason, keeps the rest', () => {
    expect(refused).toEqual([
      ['300.1.1.1', 'not an IP address or CIDR'],
      ['1.2.3.4/33', 'IPv4 prefix length above 32'],
      ['1.2.3.4/x', 'bad prefix length'],
      ['evil.com', 'not an IP address or CIDR'],
    ]);
    expect(index.counts).toEqual({ ipv4: 3, ipv4Cidr: 6, ipv6: 0, domain: 0, url: 0 });
  });

  it('nested CIDRs: every covering indicator, most specific first, with their feeds', () => {
    expect(names(index, index.matchIPv4(parseIPv4('10.1.2.3')))).toEqual([
      '10.1.2.3@a+b',
      '10.1.2.0/24@b',
      '10.1.0.0/16@b',
      '10.0.0.0/8@a',
      '0.0.0.0/0@a',
    ]);
    expect(names(index, index.matchIPv4(parseIPv4('10.1.2.4')))).toEqual([
      '10.1.2.0/24@b',
      '10.1.0.0/16@b',
      '10.0.0.0/8@a',
      '0.0.0.0/0@a',
    ]);
    expect(names(index, index.matchIPv4(parseIPv4('10.1.3.0')))).toEqual([
      '10.1.0.0/16@b',
      '10.0.0.0/8@a',
      '0.0.0.0/0@a',
    ]);
    expect(names(index, index.matchIPv4(parseIPv4('10.9.200.1')))).toEqual([
      '10.9.0.0/16@a',
      '10.0.0.0/8@a',
      '0.0.0.0/0@a',
    ]);
    expect(names(index, index.matchIPv4(parseIPv4('11.0.0.0')))).toEqual(['0.0.0.0/0@a']);
    expect(names(index, index.matchIPv4(parseIPv4('255.255.255.255')))).toEqual(['255.255.255.255@b', '0.0.0.0/0@a']);
    expect(names(index, index.matchIPv4(parseIPv4('192.0.2.1')))).toEqual(['192.0.2.0/31@a', '0.0.0.0/0@a']);
    expect(names(index, index.matchIPv4(parseIPv4('192.0.2.2')))).toEqual(['0.0.0.0/0@a']);
  });

  it('range edges: first and last address of a CIDR match, the neighbours do not', () => {
    const { index: i2 } = build([
      ['f', 'ip', '203.0.113.0/25'],
      ['f', 'ip', '203.0.113.128'],
    ]);
    const at = (s: string) => names(i2, i2.matchIPv4(parseIPv4(s)));
    expect(at('203.0.112.255')).toEqual([]);
    expect(at('203.0.113.0')).toEqual(['203.0.113.0/25@f']);
    expect(at('203.0.113.127')).toEqual(['203.0.113.0/25@f']);
    expect(at('203.0.113.128')).toEqual(['203.0.113.128@f']);
    expect(at('203.0.113.129')).toEqual([]);
    expect(at('0.0.0.0')).toEqual([]);
    expect(at('255.255.255.255')).toEqual([]);
  });

  it('agrees with a brute-force scan on 5 000 random indicators and 20 000 addresses', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const list: Array<[number, number]> = [];
    const entries: Array<[string, IndicatorKind, string]> = [];
    for (let i = 0; i < 5_000; i++) {
      // Addresses crowd into 10 /8s so ranges nest and overlap often.
      const a = (((rnd() % 10) + 20) * 2 ** 24 + (rnd() & 0xffffff)) >>> 0;
      const len = i % 3 === 0 ? 32 : 8 + (rnd() % 25);
      const start = len === 0 ? 0 : a - (a % 2 ** (32 - len));
      list.push([start, start + 2 ** (32 - len) - 1]);
      const t = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      entries.push([`f${i % 3}`, 'ip', len === 32 ? t : `${t}/${len}`]);
    }
    const { index: big } = build(entries);
    let checked = 0;
    const wrong: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const a = (((rnd() % 11) + 20) * 2 ** 24 + (rnd() & 0xffffff)) >>> 0;
      const expected = new Set(list.filter(([s, e]) => s <= a && a <= e).map(([s, e]) => `${s}-${e}`));
      const got = big.matchIPv4(a).map((h) => {
        const [t, l] = h.indicator.split('/');
        const s = parseIPv4(t);
        return `${s}-${s + 2 ** (32 - Number(l ?? 32)) - 1}`;
      });
      if (got.length !== expected.size || got.some((g) => !expected.has(g))) wrong.push(String(a));
      if (expected.size > 0) checked++;
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(1000); // the sample really exercises hits
  });
});

describe('IndicatorIndex: IPv6', () => {
  const { index, refused } = build([
    ['a', 'ip', '2001:db8::1'],
    ['a', 'ip', '2001:db8:1::/48'],
    ['b', 'ip', '2001:DB8:1:2::/63'],
    ['b', 'ip', '2001:db8::ffff:1/127'],
    ['a', 'ip', '::ffff:198.51.100.9'],
    ['a', 'ip', '2001:db8::/129'],
    ['a', 'ip', '2001:db8:::1'],
  ]);
  const at = (s: string) => names(index, index.matchIPv6(parseIPv6(s)!, 0));

  it('exact and CIDR matches (canonical text), bad ones refused', () => {
    expect(refused).toEqual([
      ['2001:db8::/129', 'IPv6 prefix length above 128'],
      ['2001:db8:::1', 'not an IP address or CIDR'],
    ]);
    expect(at('2001:db8::1')).toEqual(['2001:db8::1@a']);
    expect(at('2001:db8::2')).toEqual([]);
    expect(at('2001:db8:1:3::5')).toEqual(['2001:db8:1:2::/63@b', '2001:db8:1::/48@a']);
    expect(at('2001:db8:1:4::5')).toEqual(['2001:db8:1::/48@a']);
    expect(at('2001:db8::ffff:0')).toEqual(['2001:db8::ffff:0/127@b']);
    expect(at('2001:db8::ffff:1')).toEqual(['2001:db8::ffff:0/127@b']);
    expect(at('2001:db8::ffff:2')).toEqual([]);
    expect(at('::ffff:198.51.100.9')).toEqual(['::ffff:198.51.100.9@a']);
    expect(names(index, index.matchIpText('2001:db8:1::9'))).toEqual(['2001:db8:1::/48@a']);
  });
});

describe('IndicatorIndex: domains', () => {
  const { index, refused } = build([
    ['a', 'domain', 'Evil.COM.'],
    ['b', 'domain', 'b.evil.com'],
    ['b', 'domain', '*.tracker.example'],
    ['a', 'domain', 'com'],
    ['a', 'domain', 'bad..name.com'],
    ['a', 'domain', '-x.com'],
    ['a', 'domain', '1.2.3.4'],
  ]);
  const at = (s: string) => names(index, index.matchDomain(s));

  it('refuses single labels (a bare TLD would match everything), bad labels and addresses', () => {
    expect(refused.map((r) => r[0])).toEqual(['com', 'bad..name.com', '-x.com', '1.2.3.4']);
    expect(index.counts.domain).toBe(3);
  });

  it('matches the name and its parents, case-insensitively (lookup form), most specific first', () => {
    expect(at('evil.com')).toEqual(['evil.com@a']);
    expect(at('a.b.evil.com')).toEqual(['b.evil.com@b', 'evil.com@a']);
    expect(at('x.evil.com')).toEqual(['evil.com@a']);
    expect(at('tracker.example')).toEqual(['tracker.example@b']);
    expect(at('notevil.com')).toEqual([]);
    expect(at('evil.com.au')).toEqual([]);
    expect(at('com')).toEqual([]);
  });
});

describe('IndicatorIndex: URLs', () => {
  const { index, refused } = build([
    ['a', 'url', 'http://Evil.COM:80/Payload.exe'],
    ['a', 'url', 'https://evil.com/login?x=1'],
    ['b', 'url', 'bad.example:8080/gate.php'],
    ['b', 'url', 'ftp://evil.com/x'],
    ['b', 'url', 'http:///nohost'],
  ]);
  const at = (host: string, target: string) => names(index, index.matchRequest(host, target));

  it('normalises: scheme and default port dropped, host lowercased, path kept', () => {
    expect(refused.map((r) => r[0])).toEqual(['ftp://evil.com/x', 'http:///nohost']);
    expect(normalizeUrl('HTTPS://Evil.com:443')).toBe('evil.com/');
    expect(normalizeUrl('https://evil.com:80/a#frag')).toBe('evil.com:80/a');
    expect(normalizeUrl('http://user:pw@evil.com/a?b')).toBe('evil.com/a?b');
    expect(normalizeDomain('*.Evil.com.')).toBe('evil.com');
  });

  it('matches exactly, and by host + path without the query', () => {
    expect(at('evil.com', '/Payload.exe')).toEqual(['evil.com/Payload.exe@a']);
    expect(at('EVIL.com:80', '/Payload.exe?session=9')).toEqual(['evil.com/Payload.exe@a']);
    expect(at('evil.com', '/payload.exe')).toEqual([]); // paths are case-sensitive
    expect(at('evil.com', '/login?x=1')).toEqual(['evil.com/login?x=1@a']);
    expect(at('evil.com', '/login?x=2')).toEqual([]);
    expect(at('bad.example:8080', '/gate.php')).toEqual(['bad.example:8080/gate.php@b']);
    expect(at('bad.example', '/gate.php')).toEqual([]);
    expect(at('ignored', 'http://evil.com/Payload.exe')).toEqual(['evil.com/Payload.exe@a']);
  });
});

describe('IndicatorIndex: an empty index', () => {
  it('matches nothing and says so', () => {
    const index = new IndicatorIndexBuilder().build();
    expect(index.size).toBe(0);
    expect([index.hasIPv4, index.hasIPv6, index.hasDomains, index.hasUrls]).toEqual([false, false, false, false]);
    expect(index.lookupV4(parseIPv4('1.2.3.4'))).toBe(-1);
    expect(index.matchDomain('evil.com')).toEqual([]);
  });
});
