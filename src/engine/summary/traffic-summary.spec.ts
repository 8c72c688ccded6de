import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SHARED_PCAPS } from '../../../test/support/paths';
import { loadRecords } from '../../../test/support/capture-records';
import { accumulate, runSummary } from '../../../test/support/summary-run';
import { tshark, tsharkEndpoints, tsharkStreams } from '../../../test/support/tshark-summary';
import type { FlowRow, HostRow, TlsRow } from './traffic-summary';

/**
 * The traffic summary on real captures, checked against tshark's own view of them (stream by
 * stream, endpoint by endpoint) and against the pipeline's packet count.
 */
const attack = (name: string) => join(SHARED_PCAPS, 'attacks', name);

const CAPTURES = [
  'clean-web.pcap',
  'ftp-login.pcap',
  'scan-connect.pcap',
  'scan-syn.pcap',
  'tls-cert-change-a.pcap',
  'http-basic-and-form.pcap',
  'arp-spoof-a.pcap',
];

describe('TrafficSummary on real captures', () => {
  it.each(CAPTURES)('%s: TCP flows equal tshark streams (client, server, packets and bytes each way)', (name) => {
    const run = runSummary(loadRecords(attack(name)));
    const rows = [...accumulate(run.chunks).flows.values()] as FlowRow[];
    const tcp = rows.filter((r) => r.transport === 'tcp').sort((a, b) => a.firstFrame - b.firstFrame);
    const expected = tsharkStreams(attack(name));
    expect(
      tcp.map((r) => ({
        firstFrame: r.firstFrame,
        clientIp: r.clientIp,
        clientPort: r.clientPort,
        serverIp: r.serverIp,
        serverPort: r.serverPort,
        packetsToServer: r.packetsToServer,
        bytesToServer: r.bytesToServer,
        packetsToClient: r.packetsToClient,
        bytesToClient: r.bytesToClient,
      })),
    ).toEqual(expected);
    expect(rows.every((r) => r.final)).toBe(true);
  });

  it.each(CAPTURES)('%s: hosts equal tshark endpoints; minute buckets hold every packet', (name) => {
    const recs = loadRecords(attack(name));
    const run = runSummary(recs);
    const acc = accumulate(run.chunks);
    // tshark's endpoints,ip table is IPv4 only (IPv6 hosts: router solicitations in some captures).
    const hosts = ([...acc.hosts.values()] as HostRow[]).filter((h) => !h.ip.includes(':'));
    const expected = tsharkEndpoints(attack(name));
    expect(
      new Map(
        hosts.map((h) => [
          h.ip,
          {
            packetsSent: h.packetsSent,
            bytesSent: h.bytesSent,
            packetsReceived: h.packetsReceived,
            bytesReceived: h.bytesReceived,
          },
        ]),
      ),
    ).toEqual(expected);
    const buckets = [...acc.buckets.values()] as Array<{
      packets: number;
      bytes: number;
      protocols: Record<string, { packets: number }>;
    }>;
    expect(buckets.reduce((n, b) => n + b.packets, 0)).toBe(run.stats.packets);
    expect(buckets.reduce((n, b) => n + b.bytes, 0)).toBe(recs.reduce((n, r) => n + r.origLen, 0));
    const mix = (p: string) => buckets.reduce((n, b) => n + (b.protocols[p]?.packets ?? 0), 0);
    expect(mix('tcp')).toBe(tshark(attack(name), ['-Y', 'tcp']).length);
    expect(mix('arp')).toBe(tshark(attack(name), ['-Y', 'arp']).length);
  });

  it('names the application protocol of each flow, and hosts as internal with their MACs', () => {
    const web = accumulate(runSummary(loadRecords(attack('clean-web.pcap'))).chunks);
    const flows = [...web.flows.values()] as FlowRow[];
    expect(flows.filter((f) => f.transport === 'tcp').map((f) => [f.app, f.state])).toEqual([
      ['http', 'closed'],
      ['http', 'closed'],
      ['http', 'closed'],
    ]);
    // ICMP echo to the gateway: one flow, client = the victim.
    expect(
      flows
        .filter((f) => f.transport === 'icmp')
        .map((f) => [f.clientIp, f.serverIp, f.packetsToServer, f.packetsToClient]),
    ).toEqual([['10.231.0.10', '10.231.0.1', 3, 3]]);
    const macs = tshark(attack('clean-web.pcap'), ['-Y', 'ip.src==10.231.0.10', '-T', 'fields', '-e', 'eth.src']);
    const victim = [...web.hosts.values()].find((h) => (h as HostRow).ip === '10.231.0.10') as HostRow;
    expect(victim.macs).toEqual([...new Set(macs)]);
    expect(victim.internal).toBe(true);

    const ftp = [...accumulate(runSummary(loadRecords(attack('ftp-login.pcap'))).chunks).flows.values()] as FlowRow[];
    expect(ftp.map((f) => [f.serverPort, f.app])).toEqual([
      [21, 'ftp'],
      [49931, null],
    ]);
  });

  it('lists TLS servers with each certificate tshark sees (SHA-256 of the DER)', () => {
    const file = attack('tls-cert-change-a.pcap');
    const rows = [...accumulate(runSummary(loadRecords(file)).chunks).tls.values()] as TlsRow[];
    const ders = tshark(file, ['-Y', 'tls.handshake.certificate', '-T', 'fields', '-e', 'tls.handshake.certificate']);
    const shas = ders.map((hex) =>
      createHash('sha256')
        .update(Buffer.from(hex.split(',')[0].replace(/:/g, ''), 'hex'))
        .digest('hex'),
    );
    expect(shas.length).toBe(2);
    expect(
      rows.map((r) => ({
        ip: r.serverIp,
        port: r.serverPort,
        sni: r.sni,
        sha: r.sha256,
        count: r.count,
        selfSigned: r.selfSigned,
      })),
    ).toEqual(shas.map((sha) => ({ ip: '10.231.0.20', port: 443, sni: 'bank.test', sha, count: 1, selfSigned: true })));
    expect(rows.every((r) => r.subject!.includes('CN=bank.test') && r.validFrom !== null && r.validTo !== null)).toBe(
      true,
    );
  });

  it('stays within its caps: evicted flows are final rows, and no packet is lost or counted twice', () => {
    const recs = loadRecords(attack('scan-syn.pcap'));
    const whole = accumulate(runSummary(recs).chunks);
    const capped = runSummary(recs, [500, 1000, 1500], { summary: { maxFlows: 10, maxHosts: 1, maxBuckets: 1 } });
    const acc = accumulate(capped.chunks);
    const sum = (m: Map<string, unknown>, f: (r: FlowRow) => number) =>
      [...m.values()].reduce((n: number, r) => n + f(r as FlowRow), 0);
    const pk = (r: FlowRow) => r.packetsToServer + r.packetsToClient;
    expect(sum(acc.flows, pk)).toBe(sum(whole.flows, pk));
    expect(acc.flows.size).toBeGreaterThanOrEqual(whole.flows.size);
    expect(capped.chunks[0].delta.flows.filter((f) => f.final).length).toBeGreaterThan(200);
    expect(capped.chunks[0].delta.hosts.length).toBeGreaterThan(2); // evicted + live: more rows than hosts
    const hostPk = (m: Map<string, unknown>) =>
      [...m.values()].reduce((n: number, r) => n + (r as HostRow).packetsSent, 0);
    expect(hostPk(acc.hosts)).toBe(hostPk(whole.hosts));
    const last = capped.chunks[capped.chunks.length - 1];
    expect(last.delta.flows.every((f) => f.final)).toBe(true);
  });

  it('expires idle flows in packet time, before the end of the capture', () => {
    // 95 s of browsing: with a 5 s idle limit most connections are final long before the end.
    const recs = loadRecords(join(SHARED_PCAPS, 'public', 'tls__tls-subjectaltname__input.pcap'));
    const half = Math.floor(recs.length / 2);
    const run = runSummary(recs, [half], { summary: { tcpIdle: 5, closedIdle: 1, otherIdle: 5, bucketIdle: 60 } });
    const early = run.chunks[0].delta;
    const finals = early.flows.filter((f) => f.final);
    expect(finals.length).toBeGreaterThan(10);
    // Each was idle for longer than its limit when retired: its last packet is > 1 s before the chunk's last one.
    const chunkEnd = recs[half - 1].tsSec + recs[half - 1].tsNsec / 1e9;
    expect(finals.every((f) => chunkEnd - f.lastSeen > 1)).toBe(true);
    // The default limits (5 min TCP, 30 s after close, 1 min other) retire fewer.
    const defaults = runSummary(recs, [half]).chunks[0].delta.flows.filter((f) => f.final).length;
    expect(defaults).toBeLessThan(finals.length);
  });
});
