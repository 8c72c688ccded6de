import { join } from 'node:path';
import { TCPF } from '../../../test/support/frame-builder';
import { SHARED_PCAPS, capturesIn } from '../../../test/support/paths';
import { Timeline, host, run, tcpFrame, type Seg } from '../../../test/support/traffic';
import { analyzeCapture } from '../analyze-capture';
import { resolveConfig } from '../config';
import type { TcpHijackDetector } from './tcp-hijack.detector';

const CLIENT = host('10.9.0.10', 0x10);
const SERVER = host('10.9.0.20', 0x20);
const ATTACKER = host('10.9.0.66', 0x66, 128);
const C_ISN = 1000;
const S_ISN = 50000;

/** A handshake and one request/response; returns the next sequence numbers of both sides. */
function session(t: Timeline, at = 0, sport = 40000, cIsn = C_ISN, sIsn = S_ISN) {
  const c = (s: Omit<Seg, 'sport' | 'dport'>) => tcpFrame(CLIENT, SERVER, { sport, dport: 80, window: 1000, ...s });
  const s = (x: Omit<Seg, 'sport' | 'dport'>) =>
    tcpFrame(SERVER, CLIENT, { sport: 80, dport: sport, window: 1000, ...x });
  t.add(at, c({ seq: cIsn, flags: TCPF.SYN }));
  t.add(at + 0.001, s({ seq: sIsn, ack: cIsn + 1, flags: TCPF.SYN | TCPF.ACK }));
  t.add(at + 0.002, c({ seq: cIsn + 1, ack: sIsn + 1, flags: TCPF.ACK }));
  const req = Buffer.from('GET / HTTP/1.1\r\n\r\n');
  t.add(at + 0.003, c({ seq: cIsn + 1, ack: sIsn + 1, flags: TCPF.ACK | TCPF.PSH, payload: req }));
  const resp = Buffer.from('HTTP/1.1 200 OK\r\n\r\n');
  t.add(at + 0.004, s({ seq: sIsn + 1, ack: cIsn + 1 + req.length, flags: TCPF.ACK | TCPF.PSH, payload: resp }));
  t.add(at + 0.005, c({ seq: cIsn + 1 + req.length, ack: sIsn + 1 + resp.length, flags: TCPF.ACK }));
  return { c, s, cNext: cIsn + 1 + req.length, sNext: sIsn + 1 + resp.length };
}

function indicators(t: Timeline) {
  const { findings, detectors } = run(t, ['tcp-hijack']);
  return {
    list: findings.map((f) => ({
      indicator: f.evidence.indicator,
      type: f.type,
      severity: f.severity,
      mitre: f.mitre,
      src: f.src?.ip,
      count: f.count,
      frames: f.evidence.frames,
    })),
    findings,
    detector: detectors[0] as TcpHijackDetector,
  };
}

describe('tcp-hijack detector', () => {
  it('is silent on every attack and public capture', async () => {
    for (const file of [...capturesIn(join(SHARED_PCAPS, 'attacks')), ...capturesIn(join(SHARED_PCAPS, 'public'))]) {
      const a = await analyzeCapture(file, file, { config: resolveConfig(), detectors: ['tcp-hijack'] });
      expect([file, a.findings.length]).toEqual([file, 0]);
    }
  });

  it('an ordinary session, and one whose capture rewrites MACs on every packet, give nothing', () => {
    const t = new Timeline();
    session(t);
    const x = session(t, 1, 40001);
    for (let i = 0; i < 5; i++)
      t.add(2 + i, x.c({ seq: x.cNext, ack: x.sNext, flags: TCPF.ACK, mac: `02:00:00:00:aa:0${i}` }));
    expect(indicators(t).list).toEqual([]);
  });

  it('RST injection: an in-window RST "from the server" with another TTL and MAC', () => {
    const t = new Timeline();
    const x = session(t);
    const f = t.add(
      1,
      tcpFrame(SERVER, CLIENT, {
        sport: 80,
        dport: 40000,
        seq: x.sNext + 10,
        flags: TCPF.RST,
        ttl: 128,
        mac: ATTACKER.mac,
      }),
    );
    const r = indicators(t);
    expect(r.list).toEqual([
      {
        indicator: 'rst-injection',
        type: 'tcp-hijack',
        severity: 'high',
        mitre: 'T1557',
        src: '10.9.0.20',
        count: 1,
        frames: [f],
      },
    ]);
    expect(r.findings[0].evidence).toMatchObject({
      ttl: 128,
      expectedTtl: 64,
      mac: ATTACKER.mac,
      expectedMac: SERVER.mac,
    });
  });

  it('a genuine RST (same TTL and MAC) is no injection', () => {
    const t = new Timeline();
    const x = session(t);
    t.add(1, x.s({ seq: x.sNext, flags: TCPF.RST }));
    expect(indicators(t).list).toEqual([]);
  });

  it('TTL change mid-session: data "from the client" with another TTL', () => {
    const t = new Timeline();
    const x = session(t);
    const f = t.add(
      1,
      x.c({ seq: x.cNext, ack: x.sNext, flags: TCPF.ACK | TCPF.PSH, payload: Buffer.from('rm -rf /\n'), ttl: 50 }),
    );
    const r = indicators(t);
    expect(r.list).toEqual([
      {
        indicator: 'ttl-change',
        type: 'tcp-hijack',
        severity: 'high',
        mitre: 'T1557',
        src: '10.9.0.10',
        count: 1,
        frames: [f],
      },
    ]);
    expect(r.findings[0].evidence).toMatchObject({ side: 'client', ttl: 50, expectedTtl: 64 });
  });

  it('MAC change mid-session: from some point on the client\u2019s packets come from another MAC', () => {
    const t = new Timeline();
    const x = session(t);
    t.add(1, x.c({ seq: x.cNext, ack: x.sNext, flags: TCPF.ACK, mac: ATTACKER.mac }));
    const f = t.add(1.1, x.c({ seq: x.cNext, ack: x.sNext, flags: TCPF.ACK, mac: ATTACKER.mac }));
    const r = indicators(t);
    expect(r.list).toEqual([
      {
        indicator: 'mac-change',
        type: 'tcp-hijack',
        severity: 'high',
        mitre: 'T1557',
        src: '10.9.0.10',
        count: 1,
        frames: [f],
      },
    ]);
    expect(r.findings[0].evidence).toMatchObject({
      change: 'persistent',
      foreignMac: ATTACKER.mac,
      expectedMac: CLIENT.mac,
    });
  });

  it('data outside the receiver\u2019s window', () => {
    const t = new Timeline();
    const x = session(t);
    const f = t.add(
      1,
      x.c({ seq: x.cNext + 5000, ack: x.sNext, flags: TCPF.ACK | TCPF.PSH, payload: Buffer.from('injected') }),
    );
    const r = indicators(t);
    expect(r.list).toEqual([
      {
        indicator: 'out-of-window-data',
        type: 'tcp-hijack',
        severity: 'high',
        mitre: 'T1563',
        src: '10.9.0.10',
        count: 1,
        frames: [f],
      },
    ]);
    expect(r.findings[0].evidence).toMatchObject({ receiverWindow: 1000, beyondBy: 4000 });
  });

  it('bytes re-sent with different content (the reassembler\u2019s conflicting overlap)', () => {
    const t = new Timeline();
    const x = session(t);
    t.add(
      1,
      x.c({ seq: x.cNext, ack: x.sNext, flags: TCPF.ACK | TCPF.PSH, payload: Buffer.from('transfer 10 EUR\n') }),
    );
    t.add(1.1, x.s({ seq: x.sNext, ack: x.cNext + 16, flags: TCPF.ACK }));
    const f = t.add(
      1.2,
      x.c({ seq: x.cNext, ack: x.sNext, flags: TCPF.ACK | TCPF.PSH, payload: Buffer.from('transfer 99 EUR\n') }),
    );
    const r = indicators(t);
    expect(r.list).toEqual([
      {
        indicator: 'conflicting-overlap',
        type: 'tcp-hijack',
        severity: 'high',
        mitre: 'T1563',
        src: '10.9.0.10',
        count: 1,
        frames: [f],
      },
    ]);
  });

  it('ACK storm: 60 pure ACKs each way within a second, no data', () => {
    const t = new Timeline();
    const x = session(t);
    let last = 0;
    for (let i = 0; i < 60; i++) {
      t.add(1 + i * 0.01, x.c({ seq: x.cNext, ack: x.sNext + 777, flags: TCPF.ACK }));
      last = t.add(1 + i * 0.01 + 0.005, x.s({ seq: x.sNext, ack: x.cNext + 555, flags: TCPF.ACK }));
    }
    const r = indicators(t);
    // From the 50th ACK of the second side on, every ACK of the storm updates the one finding.
    expect(r.list).toEqual([expect.objectContaining({ indicator: 'ack-storm', mitre: 'T1563', count: 21 })]);
    expect(r.list[0].frames.at(-1)).toBe(last);
  });

  it('duplicate session: a second handshake on the 4-tuple while the first one goes on', () => {
    const t = new Timeline();
    const x = session(t);
    // Someone else opens the same 4-tuple with its own ISNs...
    t.add(1, x.c({ seq: 777000, flags: TCPF.SYN }));
    t.add(1.001, x.s({ seq: 888000, ack: 777001, flags: TCPF.SYN | TCPF.ACK }));
    t.add(1.002, x.c({ seq: 777001, ack: 888001, flags: TCPF.ACK }));
    // ...and the original client keeps sending in the old sequence space.
    const f = t.add(2, x.c({ seq: x.cNext, ack: x.sNext, flags: TCPF.ACK | TCPF.PSH, payload: Buffer.from('ls\n') }));
    const r = indicators(t);
    expect(r.list).toEqual([
      expect.objectContaining({
        indicator: 'duplicate-session',
        mitre: 'T1563',
        src: '10.9.0.10',
        count: 1,
        frames: [f],
      }),
    ]);
  });

  it('connections end with FIN / RST and half-open SYNs expire: state does not grow', () => {
    const t = new Timeline();
    for (let i = 0; i < 500; i++) {
      const x = session(t, i * 0.01, 20000 + i);
      t.add(i * 0.01 + 0.006, x.c({ seq: x.cNext, ack: x.sNext, flags: TCPF.ACK | TCPF.FIN }));
      t.add(i * 0.01 + 0.007, x.s({ seq: x.sNext, ack: x.cNext + 1, flags: TCPF.ACK | TCPF.FIN }));
    }
    for (let i = 0; i < 500; i++)
      t.add(6 + i * 0.001, tcpFrame(CLIENT, SERVER, { sport: 30000 + i, dport: 81, seq: 1, flags: TCPF.SYN }));
    t.add(20, tcpFrame(CLIENT, SERVER, { sport: 1, dport: 2, seq: 1, flags: TCPF.SYN }));
    const r = indicators(t);
    expect(r.list).toEqual([]);
    expect(r.detector.size).toEqual({ connections: 0, handshakes: 1 });
  });
});
