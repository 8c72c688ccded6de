import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { ETH, IPPROTO, TCPF, ethernet, ipv6, toRecord, udp } from '../../../test/support/frame-builder';
import { BAD_DOMAIN, BAD_IP, CLIENT, RESOLVER, TLS_SERVER, intelScenario } from '../../../test/support/intel-scenario';
import { SHARED_PCAPS, capturesIn } from '../../../test/support/paths';
import { host, tcpFrame, Timeline, udpFrame } from '../../../test/support/traffic';
import { analyzeCapture } from '../analyze-capture';
import { resolveConfig, type EngineConfig } from '../config';
import type { Finding } from '../finding';
import { IndicatorIndexBuilder, type IndicatorIndex, type IndicatorKind } from '../intel/indicator-index';
import { Pipeline, type PipelineState } from '../pipeline';
import { createDetectors } from './registry';
import { isSpecialUseIPv4, isSpecialUseIPv6 } from '../decode/address-class';
import { ThreatIntelDetector } from './threat-intel.detector';

function indexOf(
  feeds: Array<{
    name: string;
    severity?: 'low' | 'medium' | 'high' | 'critical';
    items: Array<[IndicatorKind, string]>;
  }>,
): IndicatorIndex {
  const b = new IndicatorIndexBuilder();
  for (const f of feeds) {
    const i = b.addFeed({ name: f.name, severity: f.severity ?? 'high' });
    for (const [kind, v] of f.items) expect(b.add(i, kind, v)).toBeNull();
  }
  return b.build();
}

function run(t: Timeline, index: IndicatorIndex | undefined, config: EngineConfig = resolveConfig()): Finding[] {
  const p = new Pipeline({
    captureId: 't',
    detectors: createDetectors(config, ['threat-intel'], { intel: index }),
    config,
  });
  t.frames.forEach((f, i) => p.push(toRecord(f.data, { time: f.time, frame: i + 1 })));
  p.finish();
  return p.findings();
}

const brief = (f: Finding[]) =>
  f.map((x) => [x.type, x.evidence.field, x.evidence.indicator, x.src?.ip, x.dst?.ip, x.count, x.evidence.observed]);

const SCENARIO_INDEX = () =>
  indexOf([
    { name: 'ips', items: [['ip', BAD_IP.ip]] },
    { name: 'names', severity: 'medium', items: [['domain', BAD_DOMAIN]] },
  ]);

describe('threat-intel detector: subscriptions', () => {
  it('without an index (or an empty one) it has no hooks: no parser runs for it, nothing is reported', () => {
    for (const idx of [undefined, new IndicatorIndexBuilder().build()]) {
      const d = new ThreatIntelDetector(resolveConfig().detectors['threat-intel'], idx);
      expect([d.onPacket, d.onDns, d.onTlsClientHello, d.onHttpRequest]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
    }
    expect(run(intelScenario(), undefined)).toEqual([]);
  });

  it('subscribes only to what the index can match', () => {
    const cfg = resolveConfig().detectors['threat-intel'];
    const hooks = (d: ThreatIntelDetector) =>
      (['onPacket', 'onDns', 'onTlsClientHello', 'onHttpRequest'] as const).filter((h) => typeof d[h] === 'function');
    expect(hooks(new ThreatIntelDetector(cfg, indexOf([{ name: 'a', items: [['ip', '192.0.2.1']] }])))).toEqual([
      'onPacket',
      'onDns',
    ]);
    expect(hooks(new ThreatIntelDetector(cfg, indexOf([{ name: 'a', items: [['domain', 'evil.example']] }])))).toEqual([
      'onDns',
      'onTlsClientHello',
      'onHttpRequest',
    ]);
    expect(
      hooks(new ThreatIntelDetector(cfg, indexOf([{ name: 'a', items: [['url', 'http://evil.example/x']] }]))),
    ).toEqual(['onHttpRequest']);
  });
});

describe('threat-intel detector (synthetic)', () => {
  it('the scenario: exactly the listed address and domain, whole or in chunks restored through JSON', () => {
    const index = SCENARIO_INDEX();
    const whole = run(intelScenario(), index);
    expect(brief(whole)).toEqual([
      ['blocklisted-domain', 'dns.query', BAD_DOMAIN, CLIENT.ip, RESOLVER.ip, 2, `cdn.${BAD_DOMAIN}`],
      ['blocklisted-domain', 'tls.sni', BAD_DOMAIN, CLIENT.ip, TLS_SERVER.ip, 1, `cdn.${BAD_DOMAIN}`],
      ['blocklisted-ip', 'ip.dst', BAD_IP.ip, CLIENT.ip, BAD_IP.ip, 2, BAD_IP.ip],
      ['blocklisted-ip', 'ip.src', BAD_IP.ip, BAD_IP.ip, CLIENT.ip, 1, BAD_IP.ip],
    ]);
    // A fresh pipeline per packet, each restored from the previous one's JSON snapshot.
    const config = resolveConfig();
    const t = intelScenario();
    let state: PipelineState | undefined;
    let last: Finding[] = [];
    t.frames.forEach((f, i) => {
      const p = new Pipeline({
        captureId: 't',
        detectors: createDetectors(config, ['threat-intel'], { intel: index }),
        config,
      });
      if (state) p.restore(JSON.parse(JSON.stringify(state)) as PipelineState);
      p.push(toRecord(f.data, { time: f.time, frame: i + 1 }));
      if (i === t.frames.length - 1) p.finish();
      state = p.snapshot();
      last = p.findings();
    });
    expect(last).toEqual(whole);
  });

  it('private and reserved addresses are not matched unless matchSpecialUseAddresses is set', () => {
    // FireHOL level1 lists the bogons: 10.0.0.0/8 covers the scenario's client.
    const index = indexOf([
      {
        name: 'bogons',
        items: [
          ['ip', '10.0.0.0/8'],
          ['ip', '224.0.0.0/3'],
        ],
      },
    ]);
    expect(run(intelScenario(), index)).toEqual([]);
    const on = resolveConfig({ detectors: { 'threat-intel': { matchSpecialUseAddresses: true } } });
    const f = run(intelScenario(), index, on);
    // The client sends 10 frames (to the resolver twice, the TLS server 3, the listed server 2, the
    // good server 3) and receives 7; the resolver (10.20.0.1) is itself in 10/8.
    expect(f.map((x) => [x.evidence.field, x.evidence.indicator, x.src?.ip, x.dst?.ip, x.count])).toEqual([
      // Both ends of the first DNS packet are listed: same time, so ordered by key (ip.dst first).
      ['ip.dst', '10.0.0.0/8', CLIENT.ip, RESOLVER.ip, 2],
      ['ip.src', '10.0.0.0/8', CLIENT.ip, RESOLVER.ip, 2],
      ['ip.dst', '10.0.0.0/8', RESOLVER.ip, CLIENT.ip, 2],
      ['ip.src', '10.0.0.0/8', RESOLVER.ip, CLIENT.ip, 2],
      ['ip.src', '10.0.0.0/8', CLIENT.ip, TLS_SERVER.ip, 3],
      ['ip.dst', '10.0.0.0/8', TLS_SERVER.ip, CLIENT.ip, 2],
      ['ip.src', '10.0.0.0/8', CLIENT.ip, BAD_IP.ip, 2],
      ['ip.dst', '10.0.0.0/8', BAD_IP.ip, CLIENT.ip, 1],
      ['ip.src', '10.0.0.0/8', CLIENT.ip, '203.0.113.9', 3],
      ['ip.dst', '10.0.0.0/8', '203.0.113.9', CLIENT.ip, 2],
    ]);
    expect([
      isSpecialUseIPv4(0xac100001),
      isSpecialUseIPv4(0xac200001),
      isSpecialUseIPv4(0x64400001),
      isSpecialUseIPv4(0xc6336401),
    ]).toEqual([true, false, true, false]);
  });

  it('DNS answers: a listed CNAME target and a listed A address, with the querier as host', () => {
    const t = new Timeline();
    const id = 0x4242;
    const q = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name: 'www.shop.example' }],
    });
    const r = dnsPacket.encode({
      type: 'response',
      id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: [{ type: 'A', name: 'www.shop.example' }],
      answers: [
        { type: 'CNAME', name: 'www.shop.example', ttl: 60, data: `Edge.${BAD_DOMAIN}.` },
        { type: 'A', name: `edge.${BAD_DOMAIN}`, ttl: 60, data: BAD_IP.ip },
        { type: 'A', name: `edge.${BAD_DOMAIN}`, ttl: 60, data: '10.9.9.9' },
      ],
    });
    t.add(0, udpFrame(CLIENT, RESOLVER, 50000, 53, Buffer.from(q)));
    t.add(0.01, udpFrame(RESOLVER, CLIENT, 53, 50000, Buffer.from(r)));
    const index = indexOf([
      {
        name: 'ips',
        items: [
          ['ip', BAD_IP.ip],
          ['ip', '10.9.9.9'],
        ],
      },
      { name: 'names', items: [['domain', BAD_DOMAIN]] },
    ]);
    expect(brief(run(t, index))).toEqual([
      ['blocklisted-domain', 'dns.answer', BAD_DOMAIN, CLIENT.ip, RESOLVER.ip, 1, `edge.${BAD_DOMAIN}`],
      ['blocklisted-ip', 'dns.answer', BAD_IP.ip, CLIENT.ip, RESOLVER.ip, 1, BAD_IP.ip],
    ]);
  });

  it('HTTP: Host (name, port stripped) and URL (exact, and without the query)', () => {
    const t = new Timeline();
    const web = host('203.0.113.50', 0x50);
    const get = (sport: number, target: string, h: string) =>
      Buffer.from(`GET ${target} HTTP/1.1\r\nHost: ${h}\r\nUser-Agent: test\r\n\r\n`);
    let at = 0;
    for (const [sport, target, h] of [
      [41000, '/gate.php?id=7', 'Panel.Bad-Site.example:8080'],
      [41001, '/index.html', 'www.good.example:8080'],
      [41002, '/x/loader.bin', 'files.good.example:8080'],
    ] as const) {
      const c = 100;
      const s = 900;
      t.add(at, tcpFrame(CLIENT, web, { sport, dport: 8080, seq: c, flags: TCPF.SYN }));
      t.add(
        at + 0.01,
        tcpFrame(web, CLIENT, { sport: 8080, dport: sport, seq: s, ack: c + 1, flags: TCPF.SYN | TCPF.ACK }),
      );
      t.add(at + 0.02, tcpFrame(CLIENT, web, { sport, dport: 8080, seq: c + 1, ack: s + 1, flags: TCPF.ACK }));
      const body = get(sport, target, h);
      t.add(
        at + 0.03,
        tcpFrame(CLIENT, web, {
          sport,
          dport: 8080,
          seq: c + 1,
          ack: s + 1,
          flags: TCPF.PSH | TCPF.ACK,
          payload: body,
        }),
      );
      t.add(
        at + 0.04,
        tcpFrame(web, CLIENT, { sport: 8080, dport: sport, seq: s + 1, ack: c + 1 + body.length, flags: TCPF.ACK }),
      );
      at += 1;
    }
    const index = indexOf([
      { name: 'names', items: [['domain', 'bad-site.example']] },
      {
        name: 'urls',
        severity: 'critical',
        items: [
          ['url', 'http://panel.bad-site.example:8080/gate.php'],
          ['url', 'files.good.example:8080/x/loader.bin'],
        ],
      },
    ]);
    const f = run(t, index);
    expect(
      f.map((x) => [
        x.type,
        x.severity,
        x.mitre,
        x.evidence.field,
        x.evidence.indicator,
        x.src,
        x.dst,
        x.evidence.observed,
        x.evidence.frames,
      ]),
    ).toEqual([
      [
        'blocklisted-domain',
        'high',
        'T1568',
        'http.host',
        'bad-site.example',
        { ip: CLIENT.ip, port: 41000 },
        { ip: web.ip, port: 8080 },
        'panel.bad-site.example',
        [4],
      ],
      [
        'blocklisted-url',
        'critical',
        'T1071.001',
        'http.url',
        'panel.bad-site.example:8080/gate.php',
        { ip: CLIENT.ip, port: 41000 },
        { ip: web.ip, port: 8080 },
        'Panel.Bad-Site.example:8080/gate.php?id=7',
        [4],
      ],
      [
        'blocklisted-url',
        'critical',
        'T1071.001',
        'http.url',
        'files.good.example:8080/x/loader.bin',
        { ip: CLIENT.ip, port: 41002 },
        { ip: web.ip, port: 8080 },
        'files.good.example:8080/x/loader.bin',
        [14],
      ],
    ]);
  });

  it('IPv6: CIDR and exact matches; link-local and multicast not matched by default', () => {
    const t = new Timeline();
    const frame6 = (src: string, dst: string) =>
      ethernet(
        { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', etherType: ETH.IPV6 },
        ipv6(
          { src, dst, nextHeader: IPPROTO.UDP, fixL4Checksum: true },
          udp({ sport: 5000, dport: 443 }, Buffer.from('x')),
        ),
      );
    t.add(0, frame6('2001:db8:1::5', '2001:db8:bad::1'));
    t.add(1, frame6('2001:db8:bad::1', '2001:db8:1::5'));
    t.add(2, frame6('2001:db8:1::5', '2001:db8:feed::9'));
    t.add(3, frame6('fe80::1', 'ff02::1'));
    const index = indexOf([
      {
        name: 'v6',
        items: [
          ['ip', '2001:db8:bad::/48'],
          ['ip', '2001:db8:feed::9'],
          ['ip', 'fe80::/10'],
          ['ip', 'ff00::/8'],
        ],
      },
    ]);
    expect(run(t, index).map((x) => [x.evidence.field, x.evidence.indicator, x.src?.ip, x.dst?.ip, x.count])).toEqual([
      ['ip.dst', '2001:db8:bad::/48', '2001:db8:1::5', '2001:db8:bad::1', 1],
      ['ip.src', '2001:db8:bad::/48', '2001:db8:bad::1', '2001:db8:1::5', 1],
      ['ip.dst', '2001:db8:feed::9', '2001:db8:1::5', '2001:db8:feed::9', 1],
    ]);
    const b = (s: string) => Buffer.from(s.replace(/:/g, ''), 'hex');
    expect(isSpecialUseIPv6(b('fe800000000000000000000000000001'), 0)).toBe(true);
    expect(isSpecialUseIPv6(b('00000000000000000000ffff0a000001'), 0)).toBe(true); // ::ffff:10.0.0.1
    expect(isSpecialUseIPv6(b('00000000000000000000ffffc6336401'), 0)).toBe(false); // ::ffff:198.51.100.1
    expect(isSpecialUseIPv6(b('20010db8000000000000000000000001'), 0)).toBe(false);
  });
});

describe('threat-intel detector on real captures', () => {
  it('tls-client-hello-frag-01: a google.com feed hits the fragmented ClientHello SNI (tshark: frame 6, www.google.com)', async () => {
    const file = join(SHARED_PCAPS, 'public', 'tls__tls-client-hello-frag-01__dump_mtu300.pcap');
    const index = indexOf([{ name: 'g', items: [['domain', 'google.com']] }]);
    const a = await analyzeCapture(file, 'frag', {
      config: resolveConfig(),
      detectors: ['threat-intel'],
      resources: { intel: index },
    });
    expect(
      a.findings.map((x) => [x.evidence.field, x.evidence.observed, x.src?.ip, x.dst?.ip, x.count, x.evidence.frames]),
    ).toEqual([['tls.sni', 'www.google.com', '10.20.0.14', '142.251.111.105', 1, [6]]]);
  });

  it("tls-subjectaltname with everything listed: chunked runs (JSON snapshots) give the whole run's findings", async () => {
    const file = join(SHARED_PCAPS, 'public', 'tls__tls-subjectaltname__input.pcap');
    const index = indexOf([
      {
        name: 'all4',
        items: [
          ['ip', '0.0.0.0/0'],
          ['ip', '10.0.0.0/8'],
        ],
      },
      { name: 'all6', items: [['ip', '::/0']] },
      {
        name: 'names',
        items: [
          ['domain', 'google.com'],
          ['domain', 'google.fr'],
          ['domain', 'bedreboligliv.dk'],
        ],
      },
    ]);
    const config = resolveConfig({ detectors: { 'threat-intel': { matchSpecialUseAddresses: true } } });
    const recs: Array<{ data: Buffer; time: number }> = [];
    const { CaptureParser } = await import('../capture/capture-parser');
    const parser = new CaptureParser({
      source: file,
      onPacket: (r) =>
        recs.push({ data: Buffer.from(r.buf.subarray(r.offset, r.offset + r.capLen)), time: r.tsSec + r.tsNsec / 1e9 }),
    });
    parser.write(readFileSync(file));
    parser.end();
    const make = () =>
      new Pipeline({
        captureId: 'san',
        detectors: createDetectors(config, ['threat-intel'], { intel: index }),
        config,
      });
    const whole = make();
    recs.forEach((r, i) => whole.push(toRecord(r.data, { time: r.time, frame: i + 1 })));
    whole.finish();
    const expected = whole.findings();
    expect(expected.length).toBeGreaterThan(50);
    expect(new Set(expected.map((f) => f.evidence.field))).toEqual(
      new Set(['ip.src', 'ip.dst', 'dns.query', 'dns.answer', 'tls.sni', 'http.host']),
    );
    let state: PipelineState | undefined;
    let p = make();
    for (let i = 0; i < recs.length; i++) {
      if (i % 457 === 0) {
        p = make();
        if (state) p.restore(JSON.parse(JSON.stringify(state)) as PipelineState);
      }
      p.push(toRecord(recs[i].data, { time: recs[i].time, frame: i + 1 }));
      if (i % 457 === 456) state = p.snapshot();
    }
    p.finish();
    expect(p.findings()).toEqual(expected);
  });

  it.each(
    [...capturesIn(join(SHARED_PCAPS, 'attacks')), ...capturesIn(join(SHARED_PCAPS, 'public'))].map((f) => [
      basename(f),
      f,
    ]),
  )('%s: silent with feeds listing none of its hosts', async (_name, file) => {
    const index = indexOf([
      {
        name: 'ips',
        items: [
          ['ip', BAD_IP.ip],
          ['ip', '192.0.2.0/24'],
          ['ip', '2001:db8:bad::/48'],
          ['ip', '10.0.0.0/8'],
        ],
      },
      {
        name: 'names',
        items: [
          ['domain', BAD_DOMAIN],
          ['domain', 'evil.example'],
        ],
      },
      { name: 'urls', items: [['url', 'http://evil.example/x']] },
    ]);
    const a = await analyzeCapture(file, basename(file), {
      config: resolveConfig(),
      detectors: ['threat-intel'],
      resources: { intel: index },
    });
    expect(a.findings).toEqual([]);
  });
});
