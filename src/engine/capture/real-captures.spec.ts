import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureError } from './capture-error';
import { readCapture } from './read-capture';

const ROOT = join(__dirname, '../../../../shared/pcaps');
const hasCapinfos = (() => {
  try {
    execFileSync('capinfos', ['-h'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** capinfos' packet count, or its one-line complaint when it cannot read the file. */
function capinfosCount(file: string): number | string {
  try {
    const out = execFileSync('capinfos', ['-c', '-M', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const m = /Number of packets:\s+(\d+)/.exec(out);
    return m === null ? `no count in: ${out}` : Number(m[1]);
  } catch (e) {
    return String((e as { stderr?: string }).stderr ?? e).trim();
  }
}

const sets = ['robustness', 'public', 'attacks'].filter((s) => existsSync(join(ROOT, s)));
const run = hasCapinfos && sets.length === 3 ? describe : describe.skip;

run('shared captures agree with capinfos', () => {
  it.each(sets)(
    "%s: every file reads without a non-CaptureError exception and with capinfos' packet count",
    async (set) => {
      const files = readdirSync(join(ROOT, set))
        .filter((f) => /\.(pcap|pcapng|cap)$/.test(f))
        .sort();
      const disagreements: string[] = [];
      const unsupportedByCapinfos: string[] = [];
      let pcapng = 0;
      for (const f of files) {
        const path = join(ROOT, set, f);
        let packets = 0;
        let error: CaptureError | null = null;
        let format = '';
        try {
          // A small read size makes many records straddle pieces, exercising the join path.
          const res = await readCapture(path, { onPacket: () => undefined, highWaterMark: 4096 });
          packets = res.packets;
          format = res.format;
        } catch (e) {
          if (!(e instanceof CaptureError)) throw e;
          error = e;
        }
        if (format === 'pcapng') pcapng++;
        const expected = capinfosCount(path);
        if (typeof expected === 'number') {
          if (error !== null || packets !== expected)
            disagreements.push(`${f}: ours ${packets} ${error?.message ?? ''}, capinfos ${expected}`);
        } else if (/network type \d+ unknown or unsupported/.test(expected) && error === null && packets > 0) {
          // Wireshark has no dissector for the link type, so capinfos refuses the whole file.
          unsupportedByCapinfos.push(f);
        } else {
          disagreements.push(`${f}: ours ${packets} ${error?.message ?? ''}, capinfos: ${expected}`);
        }
      }
      expect(disagreements).toEqual([]);
      if (set === 'robustness') {
        expect(files.length).toBe(830);
        expect(pcapng).toBe(45);
        expect(unsupportedByCapinfos.sort()).toEqual(
          [
            'brcm-tag-prepend.pcap',
            'brcm-tag.pcap',
            'dsa-high-vid.pcap',
            'dsa.pcap',
            'edsa-high-vid.pcap',
            'edsa.pcap',
            'frf16_magic_ie-oobr.pcap',
            'hoobr_juniper3.pcap',
            'juniper_es_oobr.pcap',
            'juniper_monitor_invalid_cookie_length.pcap',
            'kday6.pcap',
            'vtp_asan-2.pcap',
            'vtp_asan-3.pcap',
            'vtp_asan.pcap',
          ].sort(),
        );
      } else {
        expect(unsupportedByCapinfos).toEqual([]);
      }
    },
  );
});
