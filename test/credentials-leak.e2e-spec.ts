import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureParser } from '../src/engine/capture/capture-parser';
import { resolveConfig } from '../src/engine/config';
import { createDetectors } from '../src/engine/detectors/registry';
import { Pipeline } from '../src/engine/pipeline';
import { SHARED_PCAPS } from './support/paths';
import { runCli } from './support/run-cli';

/**
 * DESIGN §3/§6: secrets are never kept in clear. The recorded attack captures carry three
 * (MANIFEST.md); neither they nor their encoded forms (base64 in HTTP Basic, urlencoded in the
 * form, both at every alignment) may appear in any output of `netwarden analyze` with the full
 * default detector set, nor in the pipeline's snapshot JSON after any packet (what a worker
 * stores between chunks). Needs `npm run build` (the CLI runs from dist/).
 */
const CAPTURES = ['ftp-login.pcap', 'http-basic-and-form.pcap'].map((f) => join(SHARED_PCAPS, 'attacks', f));
const SECRETS = ['Tr0ub4dor&3', 'hunter2', 'correcthorse'];

/** Every form a secret can take in text: clear, urlencoded, base64 of it alone and of "user:secret", at each alignment. */
function forbidden(): string[] {
  const out = new Set<string>();
  const b64At = (s: string) => {
    // base64 of s placed at offset 0, 1, 2 inside longer data: drop the characters that depend on neighbours.
    for (let pad = 0; pad < 3; pad++) {
      const enc = Buffer.concat([Buffer.alloc(pad, 0x41), Buffer.from(s)]).toString('base64');
      const start = Math.ceil((pad * 4) / 3) + 1;
      const end = Math.floor(((pad + s.length) * 4) / 3) - 1;
      out.add(enc.slice(start, end));
    }
  };
  for (const s of SECRETS) {
    out.add(s);
    out.add(encodeURIComponent(s));
    out.add(s.toLowerCase());
    b64At(s);
  }
  out.add(Buffer.from('bob:hunter2').toString('base64'));
  return [...out].filter((s) => s.length >= 6);
}

function leaks(text: string): string[] {
  return forbidden().filter((s) => text.includes(s));
}

describe('no clear secret in any output', () => {
  it('the forbidden forms include the Basic header value and are long enough to be meaningful', () => {
    expect(forbidden()).toContain('Ym9iOmh1bnRlcjI=');
    expect(forbidden()).toContain('Tr0ub4dor%263');
    // The capture itself holds them (so the test below can fail).
    const raw = CAPTURES.map((f) => readFileSync(f).toString('latin1')).join('');
    expect(leaks(raw).sort()).toEqual(expect.arrayContaining(['Tr0ub4dor&3', 'Ym9iOmh1bnRlcjI=', 'correcthorse']));
  });

  for (const args of [['--json'], ['--jsonl'], []]) {
    it(`netwarden analyze ${args.join(' ') || '(table)'}: credentials reported, no secret in stdout or stderr`, () => {
      const r = runCli(['analyze', ...args, ...CAPTURES]);
      expect(r.stderr).not.toMatch(/Error/);
      expect(r.stdout).toContain('alice');
      expect(r.stdout).toContain('carol');
      expect(r.stdout).toContain(args.length ? 'T*********3 (11 chars)' : 'Cleartext FTP credentials for alice');
      expect(leaks(r.stdout)).toEqual([]);
      expect(leaks(r.stderr)).toEqual([]);
    });
  }

  it('the pipeline snapshot (all default detectors) after every packet: no secret outside the reassembler history', () => {
    /** [path, text] of every string in the snapshot, base64 strings also decoded (parsers keep pending bytes so). */
    const strings = (v: unknown, path: string, out: Array<[string, string]>) => {
      if (typeof v === 'string') {
        out.push([path, v]);
        if (/^[A-Za-z0-9+/]+=*$/.test(v) && v.length >= 8)
          out.push([path, Buffer.from(v, 'base64').toString('latin1')]);
      } else if (Array.isArray(v)) v.forEach((x, i) => strings(x, `${path}.${i}`, out));
      else if (v !== null && typeof v === 'object')
        Object.entries(v).forEach(([k, x]) => strings(x, `${path}.${k}`, out));
      return out;
    };
    const generic = (path: string) => path.replace(/\.\d+(?=\.|$)/g, '.*');
    for (const file of CAPTURES) {
      const config = resolveConfig();
      const pipeline = new Pipeline({ captureId: file, detectors: createDetectors(config), config });
      let n = 0;
      const found = new Set<string>();
      const parser = new CaptureParser({
        source: file,
        onPacket: (rec) => {
          pipeline.push(rec);
          n++;
          for (const [path, text] of strings(JSON.parse(JSON.stringify(pipeline.snapshot())), '', []))
            if (leaks(text).length) found.add(generic(path));
        },
      });
      parser.write(readFileSync(file));
      parser.end();
      pipeline.finish();
      expect(n).toBeGreaterThan(20);
      expect(pipeline.findings().some((f) => f.detector === 'plaintext-credentials')).toBe(true);
      // KNOWN, NOT OURS: the TCP reassembler keeps the last 2 KiB delivered per direction
      // (StreamDirection history, to tell conflicting retransmissions) and serialises it in the
      // snapshot, so a login's bytes sit in chunk state while the connection is open. Reported to
      // the lead; nothing else — detector states, findings, parser buffers — may hold a secret.
      expect([...found].filter((p) => !/^\.reassembler\.streams\.\*\.(c2s|s2c)\.hist$/.test(p))).toEqual([]);
      expect(leaks(JSON.stringify(pipeline.snapshot().detectors))).toEqual([]);
      expect(leaks(JSON.stringify(pipeline.snapshot().findings))).toEqual([]);
    }
  });
});
