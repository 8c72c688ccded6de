import { execFileSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { analyzeCapture } from '../src/engine/analyze-capture';
import { resolveConfig } from '../src/engine/config';
import { maskSecret } from '../src/engine/detectors/secret-mask';
import { SHARED_PCAPS, hasTool } from './support/paths';

/**
 * The plaintext-credentials detector against tshark 4.0's credentials tap (`-z credentials`):
 * for each capture, the (protocol, user name, masked password) tshark lists must be exactly the
 * credentials we report, apart from the differences listed in EXTRA/normalise below, each with
 * the reason. tshark's tap prints no password; it is read from the packet the tap names with the
 * dissector's own field (ftp.request.arg, pop.request.parameter, imap.request.password,
 * http.authbasic, http.authorization) and masked with our rule, so the comparison also checks
 * that we masked the right string.
 */
const CAPTURES = [
  'attacks/ftp-login.pcap',
  'attacks/http-basic-and-form.pcap',
  'attacks/clean-web.pcap',
  'public/telnet__telnet-01__telnet.pcap',
  'public/ftp-epsv__input.pcap',
  'public/ftp__ftp-download-passive__input.pcap',
  'public/pop3__input.pcap',
  'public/pop3-auth-01__input.pcap',
  'public/imap-detection__input.pcap',
  'public/http-auth-bearer__input.pcap',
  'public/http-auth-unrecognized__input.pcap',
];

/** Credentials we report that tshark's tap does not list, on purpose. */
const EXTRA: Record<string, string[]> = {
  // tshark has no Telnet credentials tap; we follow the login:/Password: prompts.
  'telnet__telnet-01__telnet.pcap': ['telnet|fake|**** (4 chars)'],
  // tshark's POP3 dissector does not decode SASL XOAUTH2; its bearer token is a replayable secret.
  'pop3-auth-01__input.pcap': ['pop3|joe.speedboat|A**************************A (28 chars)'],
  // tshark does not look into form bodies; the POST of username/password is a login.
  'http-basic-and-form.pcap': ['http|carol|c**********e (12 chars)'],
};

interface TsharkRow {
  frame: number;
  protocol: string;
  user: string;
}

function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Rows of the credentials tap table, split at the header's column offsets. */
function tapRows(file: string): TsharkRow[] {
  const lines = tshark(['-r', file, '-q', '-z', 'credentials']).split('\n');
  const h = lines.findIndex((l) => l.startsWith('Packet'));
  if (h < 0) throw new Error(`no credentials table from tshark for ${file}`);
  const head = lines[h];
  const at = ['Protocol', 'Username'].map((c) => head.indexOf(c));
  const rows: TsharkRow[] = [];
  for (const l of lines.slice(h + 2)) {
    if (l.startsWith('====') || l.trim() === '') break;
    rows.push({
      frame: Number(l.slice(0, at[0]).trim()),
      protocol: l.slice(at[0], at[1]).trim(),
      // tshark pads the user name to 16 characters and lets a longer one push Info to the right.
      user: l.slice(at[1]).trim().split(/\s+/)[0],
    });
  }
  return rows;
}

/** tshark's row → our (protocol|user|masked secret). */
function normalise(file: string, r: TsharkRow): string {
  const field = (f: string) => tshark(['-r', file, '-Y', `frame.number == ${r.frame}`, '-T', 'fields', '-e', f]).trim();
  switch (r.protocol) {
    case 'FTP':
      return `ftp|${r.user}|${maskSecret(field('ftp.request.arg'))}`;
    case 'POP3':
      return `pop3|${r.user}|${maskSecret(field('pop.request.parameter'))}`;
    case 'IMAP':
      // tshark shows the user name as sent, quotes included; the IMAP string is what is between
      // them (RFC 9051 quoted string), which is what we report.
      return `imap|${r.user.replace(/^"(.*)"$/, '$1')}|${maskSecret(field('imap.request.password'))}`;
    case 'HTTP basic auth': {
      const cred = field('http.authbasic'); // decoded "user:password"
      return `http|${r.user}|${maskSecret(cred.slice(cred.indexOf(':') + 1))}`;
    }
    case 'HTTP header auth': {
      // tshark's "password" is the whole Authorization value ("Bearer mF_9…") and its user "n.a.";
      // we mask the credentials after the scheme (the scheme is not secret and is our method) and
      // report no user.
      const value = field('http.authorization');
      expect(r.user).toBe('n.a.');
      return `http|(none)|${maskSecret(value.slice(value.indexOf(' ') + 1))}`;
    }
    default:
      throw new Error(`tshark credential protocol not handled: ${r.protocol}`);
  }
}

(hasTool('tshark') ? describe : describe.skip)('plaintext-credentials agrees with tshark -z credentials', () => {
  for (const rel of CAPTURES) {
    const file = join(SHARED_PCAPS, rel);
    const name = basename(file);
    it(name, async () => {
      const theirs = tapRows(file).map((r) => normalise(file, r));
      const a = await analyzeCapture(file, name, { config: resolveConfig(), detectors: ['plaintext-credentials'] });
      const ours = a.findings.map((f) => {
        const e = f.evidence as unknown as { protocol: string; user: string | null; secret: string };
        return `${e.protocol}|${e.user ?? '(none)'}|${e.secret}`;
      });
      expect(ours.sort()).toEqual([...theirs, ...(EXTRA[name] ?? [])].sort());
      if (rel !== 'attacks/clean-web.pcap') expect(ours.length).toBeGreaterThan(0);
    });
  }
});
