import { IndicatorIndexBuilder, type IndicatorKind } from './indicator-index';
import { MAX_REPORTED_ERRORS, parseFeed, splitCsvLine, type FeedFormatSpec } from './feed-format';

/** Parses into a real index builder (so the builder's validation counts) and lists what was taken. */
function parse(text: string, spec: FeedFormatSpec) {
  const b = new IndicatorIndexBuilder();
  const feed = b.addFeed({ name: 't', severity: 'high' });
  const taken: Array<[IndicatorKind, string]> = [];
  const report = parseFeed(text, spec, (kind, value) => {
    const why = b.add(feed, kind, value);
    if (why === null) taken.push([kind, value]);
    return why;
  });
  return { report, taken };
}

describe('plain lists', () => {
  it('Spamhaus DROP style: ; comments, trailing comments after the value', () => {
    const text = [
      '; Spamhaus DROP List 2026/11/24 - (c) 2026 The Spamhaus Project',
      '; Last-Modified: Tue, 24 Nov 2026 08:00:00 GMT',
      '1.10.16.0/20 ; SBL256894',
      '1.19.0.0/16 ; SBL434604',
      '',
      '2.56.192.0/22;SBL459831',
    ].join('\r\n');
    const { report, taken } = parse(text, { format: 'plain', type: 'cidr' });
    expect(taken).toEqual([
      ['ip', '1.10.16.0/20'],
      ['ip', '1.19.0.0/16'],
      ['ip', '2.56.192.0/22'],
    ]);
    expect(report).toEqual({ lines: 6, indicators: 3, bad: 0, skipped: 0, errors: [] });
  });

  it('FireHOL / ET style: # comments, bad lines counted with line numbers, never fatal', () => {
    const text = '#\n# firehol_level1\n#\n5.6.7.8 # note\n\tnot-an-ip\n1.2.3.4\n999.1.1.1\n2001:db8::/32\n';
    const { report, taken } = parse(text, { format: 'plain', type: 'ip' });
    expect(taken).toEqual([
      ['ip', '5.6.7.8'],
      ['ip', '1.2.3.4'],
      ['ip', '2001:db8::/32'],
    ]);
    expect(report).toEqual({
      lines: 8,
      indicators: 3,
      bad: 2,
      skipped: 0,
      errors: [
        { line: 5, reason: 'not an IP address or CIDR', text: '?not-an-ip' },
        { line: 7, reason: 'not an IP address or CIDR', text: '999.1.1.1' },
      ],
    });
  });

  it('domain lists, hosts-file lines; URL lists keep # and ; inside the URL', () => {
    const d = parse('evil.com\n0.0.0.0 tracker.example.net\n127.0.0.1 localhost\n', {
      format: 'plain',
      type: 'domain',
    });
    expect(d.taken).toEqual([
      ['domain', 'evil.com'],
      ['domain', 'tracker.example.net'],
    ]);
    expect(d.report.bad).toBe(1); // localhost: a single label
    const u = parse('# urlhaus\nhttp://evil.com/a;b?c=1 # comment\n', { format: 'plain', type: 'url' });
    expect(u.taken).toEqual([['url', 'http://evil.com/a;b?c=1']]);
  });

  it('caps the reported errors but counts them all', () => {
    const text = Array.from({ length: 100 }, (_, i) => `bad${i}`).join('\n');
    const { report } = parse(text, { format: 'plain', type: 'ip' });
    expect(report.bad).toBe(100);
    expect(report.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(report.errors[19]).toEqual({ line: 20, reason: 'not an IP address or CIDR', text: 'bad19' });
  });
});

describe('CSV', () => {
  it('splits quoted fields with "" escapes', () => {
    expect(splitCsvLine('a,"b,c","say ""hi""",,d')).toEqual(['a', 'b,c', 'say "hi"', '', 'd']);
    expect(splitCsvLine('x;"y;z"', ';')).toEqual(['x', 'y;z']);
  });

  it('Feodo Tracker style: # comment lines, a chosen column by number', () => {
    const text = [
      '################################################################',
      '# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)           #',
      '# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"',
      '"2026-01-01 00:00:00","192.0.2.10","443","online","2026-11-23","QakBot"',
      '"2026-01-02 00:00:00","198.51.100.20","8080","offline","2026-11-20","Emotet"',
      '"2026-01-03 00:00:00","nonsense","8080","offline","2026-11-20","Emotet"',
      '"2026-01-03 00:00:00"',
    ].join('\n');
    const { report, taken } = parse(text, { format: 'csv', type: 'ip', column: 2 });
    expect(taken).toEqual([
      ['ip', '192.0.2.10'],
      ['ip', '198.51.100.20'],
    ]);
    expect(report.bad).toBe(2);
    expect(report.errors.map((e) => [e.line, e.reason])).toEqual([
      [6, 'not an IP address or CIDR'],
      [7, 'no column 2'],
    ]);
  });

  it('a header row: the column by name, the header itself skipped', () => {
    const text = 'id,url,threat\n1,"http://evil.com/x.exe",malware_download\n2,http://bad.example/gate,c2\n';
    const { report, taken } = parse(text, { format: 'csv', type: 'url', column: 'URL', header: true });
    expect(taken).toEqual([
      ['url', 'http://evil.com/x.exe'],
      ['url', 'http://bad.example/gate'],
    ]);
    expect(report.bad).toBe(0);
    expect(parse(text, { format: 'csv', type: 'url', column: 'nope', header: true }).report.fatal).toBe(
      'CSV header has no column "nope"',
    );
  });
});

describe('Zeek Intel framework files', () => {
  it('uses ADDR, SUBNET, DOMAIN and URL by the #fields header, skips other types, counts bad ones', () => {
    const text = [
      '#separator \\x09',
      '#fields\tmeta.source\tindicator\tindicator_type\tmeta.desc',
      'feedA\t192.0.2.66\tIntel::ADDR\tc2',
      'feedA\t203.0.113.0/24\tIntel::SUBNET\tbotnet',
      'feedA\tEvil.Example.com\tIntel::DOMAIN\tphish',
      'feedA\tevil.example.com/login.php\tIntel::URL\tphish',
      'feedA\t3b1f0c0e4a\tIntel::FILE_HASH\tmalware',
      'feedA\tbob@example.com\tIntel::EMAIL\tspam',
      'feedA\tnot-an-ip\tIntel::ADDR\toops',
      'feedA\t1.2.3.4\tSomething\toops',
      'feedA\t-\tIntel::ADDR\tempty',
    ].join('\n');
    const { report, taken } = parse(text, { format: 'zeek' });
    expect(taken).toEqual([
      ['ip', '192.0.2.66'],
      ['ip', '203.0.113.0/24'],
      ['domain', 'Evil.Example.com'],
      ['url', 'evil.example.com/login.php'],
    ]);
    expect(report.skipped).toBe(2);
    expect(report.errors.map((e) => [e.line, e.reason])).toEqual([
      [9, 'not an IP address or CIDR'],
      [10, 'unknown indicator_type Something'],
      [11, 'missing indicator or indicator_type'],
    ]);
  });

  it('without #fields: indicator then indicator_type', () => {
    const { taken } = parse('192.0.2.1\tIntel::ADDR\n', { format: 'zeek' });
    expect(taken).toEqual([['ip', '192.0.2.1']]);
  });
});
