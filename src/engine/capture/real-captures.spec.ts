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

const filesOf = (set: string) =>
  existsSync(join(ROOT, set))
    ? readdirSync(join(ROOT, set))
        .filter((f) => /\.(pcap|pcapng|cap)$/.test(f))
        .sort()
    : [];

// One test per file (830 in robustness/): each has its own timeout, so a busy machine makes the
// walk slower, not red; the set's totals are checked once every file of it has been read.
run.each(sets)('shared captures agree with capinfos: %s', (set) => {
  const files = filesOf(set);
  const seen = { files: 0, pcapng: 0, unsupportedByCapinfos: [] as string[] };

  it.each(files)("%s reads without a non-CaptureError exception and with capinfos' packet count", async (f) => {
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
    seen.files++;
    if (format === 'pcapng') seen.pcapng++;
    const expected = capinfosCount(path);
    if (typeof expected === 'string' && /network type \d+ unknown or unsupported/.test(expected)) {
      // Wireshark has no dissector for the link type, so capinfos refuses the whole file.
      expect({ error: error?.message, read: packets > 0 }).toEqual({ error: undefined, read: true });
      seen.unsupportedByCapinfos.push(f);
      return;
    }
    expect({ packets, error: error?.message }).toEqual({ packets: expected, error: undefined });
  });

  it('every file read; the set holds what MANIFEST.md says', () => {
    expect(seen.files).toBe(files.length);
    if (set === 'robustness') {
      expect(files.length).toBe(830);
      expect(seen.pcapng).toBe(45);
      expect(seen.unsupportedByCapinfos.sort()).toEqual(
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
      expect(seen.unsupportedByCapinfos).toEqual([]);
    }
  });
});
