import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ingestCapture, type IngestResult } from '../captures/capture-ingest';
import { readCapture } from '../engine/capture/read-capture';
import { SHARED_PCAPS } from '../../test/support/paths';
import { EvidenceError, evidencePcap, readEvidencePackets } from './evidence-pcap';

describe('evidence pcap', () => {
  let dir: string;
  let ingest: IngestResult;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nw-evidence-'));
    ingest = await ingestCapture(createReadStream(join(SHARED_PCAPS, 'attacks', 'scan-syn.pcap')), {
      dir,
      source: 'scan-syn.pcap',
      maxBytes: 1 << 30,
      chunkMaxBytes: 1 << 20,
      chunkMaxPackets: 10,
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds global frames across chunks, in capture order, once each', async () => {
    expect(ingest.chunks.length).toBeGreaterThan(3);
    const got = await readEvidencePackets(dir, ingest.chunks, [35, 2, 11, 35, 10]);
    expect(got.map((p) => p.frame)).toEqual([2, 10, 11, 35]);
    const pieces = evidencePcap(got);
    const back: number[] = [];
    await readCapture(Readable.from(pieces), { onPacket: (r) => back.push(r.capLen) });
    expect(back).toEqual(got.map((p) => p.data.length));
  });

  it('refuses frames no chunk holds and exports past the byte budget', async () => {
    const total = ingest.chunks.reduce((n, c) => n + c.packets, 0);
    await expect(readEvidencePackets(dir, ingest.chunks, [total + 1])).rejects.toThrow(
      new EvidenceError('missing', `evidence frame ${total + 1} is in no stored chunk`),
    );
    const err = await readEvidencePackets(dir, ingest.chunks, [1, 2, 3], 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvidenceError);
    expect({ kind: (err as EvidenceError).kind, message: (err as Error).message }).toEqual({
      kind: 'too-large',
      message: 'the evidence packets exceed 100 bytes',
    });
  });
});
