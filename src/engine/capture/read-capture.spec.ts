import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CaptureError } from './capture-error';
import { readCapture } from './read-capture';
import { ngEpb, ngIdb, ngShb, payload, synthPcap } from './synthetic-captures';

describe('readCapture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nw-read-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = synthPcap(
    { linkType: 1 },
    [1, 2, 3].map((i) => ({ tsSec: i, tsFrac: i, data: payload(100 * i, i) })),
  );

  it('streams a file in small pieces and reports progress', async () => {
    const f = join(dir, 'a.pcap');
    writeFileSync(f, pcap);
    const frames: number[] = [];
    const progress: number[] = [];
    const res = await readCapture(f, {
      onPacket: (r) => frames.push(r.frame),
      highWaterMark: 64,
      onProgress: (b) => progress.push(b),
    });
    expect(res).toEqual({ format: 'pcap', linkTypes: [1], packets: 3, bytes: pcap.length });
    expect(frames).toEqual([1, 2, 3]);
    expect(progress[progress.length - 1]).toBe(pcap.length);
    expect(progress.length).toBe(Math.ceil(pcap.length / 64));
  });

  it('reads any Readable', async () => {
    const ng = Buffer.concat([ngShb(false), ngIdb(false, 276), ngEpb(false, 0, 5_000_001n, payload(9, 1))]);
    const res = await readCapture(Readable.from([ng.subarray(0, 30), ng.subarray(30)]), { onPacket: () => undefined });
    expect(res).toEqual({ format: 'pcapng', linkTypes: [276], packets: 1, bytes: ng.length });
  });

  it('rejects with a CaptureError naming the file for damaged input', async () => {
    const f = join(dir, 'cut.pcap');
    writeFileSync(f, pcap.subarray(0, pcap.length - 1));
    const frames: number[] = [];
    const err = await readCapture(f, { onPacket: (r) => frames.push(r.frame) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).message).toBe(
      `${f}: input ends inside a packet record (315 of 316 bytes present) at byte offset 356`,
    );
    expect(frames).toEqual([1, 2]);
  });

  it('keeps fs errors but makes their message name the file', async () => {
    const missing = join(dir, 'nope.pcap');
    const e1 = (await readCapture(missing, { onPacket: () => undefined }).catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(e1.code).toBe('ENOENT');
    expect(e1.message).toContain(missing);
    const e2 = (await readCapture(dir, { onPacket: () => undefined }).catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(e2.code).toBe('EISDIR');
    expect(e2.message).toBe(`${dir}: EISDIR: illegal operation on a directory, read`);
  });
});
