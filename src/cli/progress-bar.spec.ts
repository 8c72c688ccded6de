import { ProgressBar } from './progress-bar';

function fakeTty() {
  const out: string[] = [];
  return { out, stream: { write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream };
}

describe('ProgressBar', () => {
  it('draws the fraction done on one line and clears it at the end', () => {
    const { out, stream } = fakeTty();
    const bar = new ProgressBar(stream, 'big.pcap', 1000);
    bar.update(250);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\rbig\.pcap \[#{8}\.{22}\]  25% \d+ MB\/s$/);
    bar.update(500); // within 200 ms of the last draw: not redrawn
    expect(out).toHaveLength(1);
    bar.done();
    expect(out[1]).toBe('\r\x1b[K');
  });

  it('never draws past 100 % and draws nothing to clear when never shown', () => {
    const { out, stream } = fakeTty();
    new ProgressBar(stream, 'x', 10).done();
    expect(out).toEqual([]);
    const bar = new ProgressBar(stream, 'x', 10);
    bar.update(50);
    expect(out[0]).toContain('[##############################] 100%');
  });
});
