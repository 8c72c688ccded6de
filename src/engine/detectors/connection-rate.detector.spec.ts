import { join } from 'node:path';
import { TCPF } from '../../../test/support/frame-builder';
import { SHARED_PCAPS, capturesIn } from '../../../test/support/paths';
import { Timeline, host, run, tcpFrame, udpFrame } from '../../../test/support/traffic';
import { analyzeCapture } from '../analyze-capture';
import { resolveConfig } from '../config';

const SRC = host('10.9.0.10', 0x10);

/** `n` completed handshakes from SRC to distinct servers, evenly over `seconds`, starting at `from`. */
function handshakes(t: Timeline, n: number, seconds: number, from = 0, complete = true): number {
  let last = 0;
  for (let i = 0; i < n; i++) {
    const server = host(`10.20.${i >> 8}.${i & 255}`, i);
    const at = from + (i * seconds) / n;
    t.add(at, tcpFrame(SRC, server, { sport: 20000 + (i % 40000), dport: 22, seq: 10, flags: TCPF.SYN }));
    t.add(
      at + 0.0001,
      tcpFrame(server, SRC, { sport: 22, dport: 20000 + (i % 40000), seq: 90, ack: 11, flags: TCPF.SYN | TCPF.ACK }),
    );
    if (complete)
      last = t.add(
        at + 0.0002,
        tcpFrame(SRC, server, { sport: 20000 + (i % 40000), dport: 22, seq: 11, ack: 91, flags: TCPF.ACK }),
      );
  }
  return last;
}

describe('connection-rate detector', () => {
  it('is silent on every attack and public capture (scans and floods complete no handshakes)', async () => {
    for (const file of [...capturesIn(join(SHARED_PCAPS, 'attacks')), ...capturesIn(join(SHARED_PCAPS, 'public'))]) {
      const a = await analyzeCapture(file, file, { config: resolveConfig(), detectors: ['connection-rate'] });
      expect([file, a.findings.length]).toEqual([file, 0]);
    }
  });

  it('3200 completed SSH handshakes in 40 s from one source: one episode finding', () => {
    const t = new Timeline();
    const last = handshakes(t, 3200, 40);
    const { findings } = run(t, ['connection-rate']);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      type: 'connection-rate',
      severity: 'medium',
      mitre: 'T1499.002',
      count: 3200,
      src: { ip: '10.9.0.10' },
      title: 'High connection rate from 10.9.0.10: 3200 new connections (peak 3200 per 60 s)',
    });
    expect(findings[0].evidence).toMatchObject({ tcpHandshakes: 3200, udpFlows: 0, windows: 1, peakPerWindow: 3200 });
    expect(findings[0].evidence.frames.at(-1)).toBe(last);
    expect(findings[0].firstSeen).toBe('2026-01-01T00:00:00.000200Z');
  });

  it('2999 handshakes in a window stay below the threshold; 3200 unanswered SYNs are not connections', () => {
    const t = new Timeline();
    handshakes(t, 2999, 50);
    handshakes(t, 3200, 40, 100, false);
    expect(run(t, ['connection-rate']).findings).toEqual([]);
  });

  it('answered UDP flows count; unanswered ones and repeated datagrams of one flow do not', () => {
    const t = new Timeline();
    const resolver = host('10.9.0.53', 0x53);
    for (let i = 0; i < 3000; i++) {
      const at = i * 0.01;
      t.add(at, udpFrame(SRC, resolver, 30000 + (i % 30000), 53, Buffer.alloc(30)));
      t.add(at + 0.001, udpFrame(resolver, SRC, 53, 30000 + (i % 30000), Buffer.alloc(60)));
      t.add(at + 0.002, udpFrame(SRC, host('10.30.0.1', 1), 9999, 9999 - (i % 7), Buffer.alloc(30))); // never answered
    }
    const { findings } = run(t, ['connection-rate']);
    expect(findings.map((f) => [f.src?.ip, f.count, f.evidence.udpFlows])).toEqual([['10.9.0.10', 3000, 3000]]);
  });
});
