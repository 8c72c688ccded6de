import { pairKey } from '../decode/host-key';
import { key4ToString } from '../reassembly/flow-key';
import { PairTable, addFlowKey, flowKey4 } from './pair-table';

/** Same operations on a PairTable and on an insertion-ordered Map: same contents, same order. */
describe('PairTable', () => {
  it('matches a Map through inserts, deletes, moves to back and growth (IPv4 and IPv6 mixed)', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const grown: number[] = [];
    const t = new PairTable(16, (cap) => grown.push(cap));
    const ref = new Map<string, [number, number | string, number, number | string, number]>();
    for (let step = 0; step < 8000; step++) {
      const tag = rnd(3);
      // Few distinct hosts and ports: collisions, hits and misses all happen.
      const v6 = rnd(10) === 0;
      const a = v6 ? `2001:db8::${rnd(4)}` : 0xc0a80000 + rnd(8);
      const b = v6 ? `2001:db8::${rnd(4) + 10}` : 0xfffffff0 + rnd(4);
      const ap = rnd(6);
      const bp = 65530 + rnd(6);
      const k = pairKey(tag, a, ap, b, bp);
      const s = t.find(tag, a, ap, b, bp);
      expect(s >= 0).toBe(ref.has(k));
      const op = rnd(4);
      if (s < 0) {
        if (op !== 0) {
          const n = t.add(tag, a, ap, b, bp);
          expect(t.aHost(n)).toBe(a);
          expect(t.bHost(n)).toBe(b);
          expect([t.tag(n), t.aPort(n), t.bPort(n)]).toEqual([tag, ap, bp]);
          ref.set(k, [tag, a, ap, b, bp]);
        }
      } else if (op === 0) {
        t.moveToBack(s);
        ref.delete(k);
        ref.set(k, [tag, a, ap, b, bp]);
      } else {
        t.remove(s);
        ref.delete(k);
      }
      expect(t.size).toBe(ref.size);
    }
    const order: string[] = [];
    for (let s = t.head; s !== -1; s = t.next[s])
      order.push(pairKey(t.tag(s), t.aHost(s), t.aPort(s), t.bHost(s), t.bPort(s)));
    expect(order).toEqual([...ref.keys()]);
    expect(grown[0]).toBe(32);
    // Removing everything while iterating (the expiry pattern) empties it.
    for (let s = t.head, n = -1; s !== -1; s = n) {
      n = t.next[s];
      t.remove(s);
    }
    expect([t.size, t.head]).toEqual([0, -1]);
    expect(t.find(0, 0xc0a80001, 1, 0xfffffff0, 65530)).toBe(-1);
  });

  it('adds pairs from FlowKeyBuilder keys (IPv4 round-trips through flowKey4, IPv6 as text)', () => {
    const t = new PairTable();
    const k4 = key4ToString(0xc0a80001, 80, 0xfffffffe, 65535);
    const s4 = addFlowKey(t, 2, k4);
    expect([t.tag(s4), t.aHost(s4), t.aPort(s4), t.bHost(s4), t.bPort(s4)]).toEqual([
      2, 0xc0a80001, 80, 0xfffffffe, 65535,
    ]);
    expect(flowKey4(t, s4)).toBe(k4);
    const w = [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1, 443, 0x2001, 0xdb8, 0, 0, 0, 0, 1, 0, 51000];
    const s6 = addFlowKey(t, 0, String.fromCharCode(...w));
    expect([t.aHost(s6), t.aPort(s6), t.bHost(s6), t.bPort(s6)]).toEqual(['2001:db8::1', 443, '2001:db8::1:0', 51000]);
    expect(t.find(0, '2001:db8::1', 443, '2001:db8::1:0', 51000)).toBe(s6);
    expect(addFlowKey(t, 0, 'abc')).toBe(-1);
    expect(t.size).toBe(2);
  });
});
