import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ETH, IPPROTO, TCPF, ethernet, ipv4, tcp, toRecord, udp } from '../../../test/support/frame-builder';
import { SHARED_PCAPS } from '../../../test/support/paths';
import { analyzeCapture } from '../analyze-capture';
import { resolveConfig } from '../config';
import type { Finding } from '../finding';
import { Pipeline } from '../pipeline';
import { PacketAnomalyDetector } from './packet-anomaly.detector';

/** What a test compares: the parts of a finding that say what was found, where and how often. */
function summary(f: Finding) {
  return {
    type: f.type,
    severity: f.severity,
    src: f.src?.ip ?? f.src?.mac,
    count: f.count,
    frames: f.evidence.frames,
    detail: f.evidence.detail,
  };
}

async function findings(file: string) {
  const a = await analyzeCapture(file, file, { config: resolveConfig(), detectors: ['packet-anomaly'] });
  expect(a.errors).toEqual([]);
  return a.findings.map(summary);
}

describe('packet-anomaly detector', () => {
  const attacks = join(SHARED_PCAPS, 'attacks');

  it.each(readdirSync(attacks).filter((f) => f.endsWith('.pcap')))(
    'is silent on %s (real traffic from real stacks and tools: nothing malformed in it)',
    async (name) => {
      expect(await findings(join(attacks, name))).toEqual([]);
    },
  );

  it('IPv4 security option: reports the option and the malformed option list (tshark: expert error)', async () => {
    expect(await findings(join(SHARED_PCAPS, 'public', 'bug-7414-decoder-event-01__ip_secopt.pcap'))).toEqual([
      { type: 'ip-options', severity: 'low', src: '30.30.30.30', count: 1, frames: [3], detail: 'security' },
      {
        type: 'malformed-packet',
        severity: 'low',
        src: '30.30.30.30',
        count: 1,
        frames: [3],
        detail: 'ipv4.bad-options',
      },
    ]);
  });

  it('IPv4 total length beyond the frame: the five frames tshark flags in the telnet capture', async () => {
    expect(await findings(join(SHARED_PCAPS, 'public', 'telnet__telnet-01__telnet.pcap'))).toEqual([
      {
        type: 'malformed-packet',
        severity: 'low',
        src: '192.168.0.2',
        count: 5,
        frames: [18, 32, 52, 70, 78],
        detail: 'ipv4.bad-total-length',
      },
    ]);
  });

  it('IPv6 smurf (rsmurf6): echo requests from the all-nodes multicast address, one finding', async () => {
    const f = await findings(join(SHARED_PCAPS, 'public', 'ipv6-evasion__ipv6-rsmurf__rsmurf6.pcap'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      type: 'invalid-source-address',
      severity: 'medium',
      src: 'ff02::1',
      count: 1000,
      detail: 'multicast IP',
    });
    expect(f[0].frames).toHaveLength(50); // evidence is capped; the count is not
  });

  it('overlapping IPv6 fragments and a tiny first IPv4 fragment', async () => {
    expect(
      await findings(join(SHARED_PCAPS, 'public', 'ipv6-evasion__ipv6-malformed-fragments-1__frag-1.pcap')),
    ).toEqual([
      {
        type: 'ip-fragment-overlap',
        severity: 'medium',
        src: '2001:db8:1::2',
        count: 1,
        frames: [8],
        detail: undefined,
      },
    ]);
    expect(
      await findings(join(SHARED_PCAPS, 'public', 'defrag__bug-6887-defrag-ipv4-tcp-syn__frag-ip-tcp-syn.pcap')),
    ).toEqual([
      { type: 'ip-tiny-fragment', severity: 'medium', src: '1.1.1.1', count: 1, frames: [1], detail: undefined },
    ]);
  });

  it('a multicast source MAC is named as such, not as the IP it carries', async () => {
    const f = await findings(join(SHARED_PCAPS, 'public', 'bug-6244-tcp-rst-with-data__tcp-rst-with-data.pcap'));
    expect(f).toEqual([
      {
        type: 'invalid-source-address',
        severity: 'medium',
        src: '2.2.2.2',
        count: 5,
        frames: [2, 4, 5, 6, 7],
        detail: 'multicast MAC',
      },
    ]);
    const a = await analyzeCapture(
      join(SHARED_PCAPS, 'public', 'bug-6244-tcp-rst-with-data__tcp-rst-with-data.pcap'),
      'x',
      {
        config: resolveConfig(),
        detectors: ['packet-anomaly'],
      },
    );
    // The MAC is the anomaly, so the finding is the IP's; the frames show which MACs it used.
    expect(a.findings[0].src).toEqual({ ip: '2.2.2.2' });
    expect(a.findings[0].title).toBe('Invalid source address (multicast MAC)');
  });

  it('a sender whose multicast MAC changes every packet is one finding per IP, not one per frame', async () => {
    // pop3-auth-01 randomises both MACs per packet; 17 of its 29 frames carry a group-bit source MAC.
    const f = await findings(join(SHARED_PCAPS, 'public', 'pop3-auth-01__input.pcap'));
    expect(f.map((x) => [x.type, x.src, x.detail])).toEqual([
      ['invalid-source-address', '1.1.1.1', 'multicast MAC'],
      ['invalid-source-address', '2.2.2.2', 'multicast MAC'],
    ]);
    const out = execFileSync(
      'tshark',
      [
        '-r',
        join(SHARED_PCAPS, 'public', 'pop3-auth-01__input.pcap'),
        '-Y',
        'eth.src.ig == 1',
        '-T',
        'fields',
        '-e',
        'frame.number',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const groupBitFrames = out.split('\n').filter(Boolean).map(Number);
    expect(groupBitFrames).toHaveLength(17);
    expect(f.flatMap((x) => x.frames).sort((a, b) => a - b)).toEqual(groupBitFrames);
  });

  it('a flood from many spoofed multicast sources stays one aggregate beyond the cap', () => {
    const config = resolveConfig({ detectors: { 'packet-anomaly': { maxSourcesPerKind: 4 } } });
    const pipeline = new Pipeline({
      captureId: 'm',
      detectors: [new PacketAnomalyDetector(config.detectors['packet-anomaly'])],
      config,
    });
    for (let i = 0; i < 300; i++) {
      const frame = ethernet(
        { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', etherType: ETH.IPV4 },
        ipv4(
          { src: `224.1.${i >> 8}.${i & 255}`, dst: '10.9.1.1', proto: IPPROTO.UDP },
          udp({ sport: 5000, dport: 5000 }),
        ),
      );
      pipeline.push(toRecord(frame, { time: 1_700_000_000 + i }));
    }
    pipeline.finish();
    const f = pipeline.findings();
    expect(f.map((x) => [x.type, x.src?.ip ?? '*', x.count])).toEqual([
      ['invalid-source-address', '224.1.0.0', 1],
      ['invalid-source-address', '224.1.0.1', 1],
      ['invalid-source-address', '224.1.0.2', 1],
      ['invalid-source-address', '224.1.0.3', 1],
      ['invalid-source-address', '*', 296],
    ]);
  });

  it('caps distinct sources per kind and aggregates the rest, saying from which frame', () => {
    const config = resolveConfig({ detectors: { 'packet-anomaly': { maxSourcesPerKind: 4 } } });
    const pipeline = new Pipeline({
      captureId: 'cap',
      detectors: [new PacketAnomalyDetector(config.detectors['packet-anomaly'])],
      config,
    });
    for (let i = 0; i < 10; i++) {
      const frame = ethernet(
        { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', etherType: ETH.IPV4 },
        ipv4(
          { src: `10.9.0.${i + 1}`, dst: '10.9.1.1', proto: IPPROTO.TCP },
          tcp({ sport: 1000, dport: 80, seq: 1, flags: TCPF.SYN | TCPF.FIN }),
        ),
      );
      pipeline.push(toRecord(frame, { time: 1_700_000_000 + i }));
    }
    pipeline.finish();
    const f = pipeline.findings();
    expect(f.map((x) => [x.src?.ip ?? '*', x.count])).toEqual([
      ['10.9.0.1', 1],
      ['10.9.0.2', 1],
      ['10.9.0.3', 1],
      ['10.9.0.4', 1],
      ['*', 6],
    ]);
    expect(f[4].evidence).toMatchObject({ frames: [5, 6, 7, 8, 9, 10], aggregatedFromFrame: 5 });
    expect(f[4].description).toContain('further sources are aggregated here from frame 5');
    // The detector's own state stays at the cap.
    const state = (pipeline.snapshot().detectors['packet-anomaly'] as { sources: Record<string, { keys: string[] }> })
      .sources;
    expect(state['bad-tcp-flags']!.keys).toHaveLength(4);
  });
});
