import { readCapture } from '../../src/engine/capture/read-capture';
import { resolveConfig } from '../../src/engine/config';
import { DecodedPacket } from '../../src/engine/decode/decoded-packet';
import { PacketDecoder } from '../../src/engine/decode/packet.decoder';
import { createDetectors } from '../../src/engine/detectors/registry';
import { Pipeline } from '../../src/engine/pipeline';

/**
 * One measured configuration, run in its own process so its peak RSS is its own.
 * usage: bench-mode MODE FILE → prints {"packets":N,"bytes":N} on stdout.
 */
type Mode = 'pcap-parser' | 'reader' | 'decode' | 'pipeline' | 'pipeline-all-parsers';

async function main(mode: Mode, file: string): Promise<{ packets: number; bytes: number }> {
  let packets = 0;
  let bytes = 0;
  switch (mode) {
    case 'pcap-parser': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pcapp = require('pcap-parser') as { parse(f: string): NodeJS.EventEmitter };
      await new Promise<void>((resolve, reject) => {
        const parser = pcapp.parse(file);
        parser.on('packet', (p: { data: Buffer }) => {
          packets++;
          bytes += p.data.length;
        });
        parser.on('end', () => resolve());
        parser.on('error', reject);
      });
      return { packets, bytes };
    }
    case 'reader': {
      const r = await readCapture(file, {
        onPacket: (rec) => {
          packets++;
          bytes += rec.capLen;
        },
      });
      return { packets: r.packets, bytes };
    }
    case 'decode': {
      const decoder = new PacketDecoder();
      const p = new DecodedPacket();
      let tcp = 0;
      await readCapture(file, {
        onPacket: (rec) => {
          decoder.decode(rec, p);
          packets++;
          bytes += rec.capLen;
          if (p.ipProto === 6) tcp++; // keep the decode observable
        },
      });
      if (tcp < 0) throw new Error('unreachable');
      return { packets, bytes };
    }
    case 'pipeline':
    case 'pipeline-all-parsers': {
      const config = resolveConfig();
      const pipeline = new Pipeline({
        captureId: 'bench',
        // BENCH_DETECTORS=a,b measures a subset (to find which detector costs what).
        detectors: createDetectors(config, process.env.BENCH_DETECTORS?.split(',').filter(Boolean)),
        config,
        protocols: mode === 'pipeline-all-parsers' ? 'all' : 'auto',
      });
      await readCapture(file, { onPacket: (rec) => pipeline.push(rec) });
      pipeline.finish();
      const s = pipeline.getStats();
      return { packets: s.packets, bytes: s.bytes };
    }
  }
}

const [mode, file] = process.argv.slice(2) as [Mode, string];
main(mode, file).then(
  (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exitCode = 1;
  },
);
