import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SORT_FIELDS } from '../src/traffic/traffic-params';
import { ROOT, SHARED_PCAPS } from './support/paths';
import { countExampleLines, readmeExamples, shellWords, type ReadmeExample } from './support/readme-examples';
import { ServiceStack } from './support/service-stack';
import { TEST_API_KEY } from './support/service-processes';

/**
 * Every `curl` and `netwarden` example in README.md's code blocks, run as written against a live
 * API and worker started here (own database, Redis prefix, data directory): each must succeed —
 * curl with `-f` (any HTTP status ≥ 400 fails it), the CLI with exit code 0.
 *
 * How an example is made concrete (documented here, not guessed per line):
 * - `$KEY` is the suite's admin API key; `$ID` and `$CAPTURE` the id of a capture uploaded and
 *   analysed before the examples run (attacks/http-basic-and-form.pcap). Any other `$VAR` fails
 *   the test: give it a value here or list the example below.
 * - `http://127.0.0.1:3000` and `http://localhost:3000` become the test API's address.
 * - Commands run in a scratch directory holding `capture.pcap` (that capture), `capture.pcap.gz`
 *   (it gzipped) and a `fixtures` link to the repository's, so relative paths in examples resolve;
 *   files an example writes (`-o last.pcap`) land there and are removed with it.
 * - `netwarden` / `npx netwarden` is the built bin/netwarden.js; the `npm ci &&` before the quick
 *   start's example is the install step this suite runs after. Words are split by a small parser
 *   (test/support/readme-examples.ts) and passed as an argument array: no shell.
 */
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const examples = readmeExamples(readme);

/** Examples that cannot run here, each with the reason. Keyed by the command as written. */
const NOT_RUNNABLE: Record<string, string> = {
  'netwarden analyze [options] <files...>': 'synopsis: [options] and <files...> are placeholders',
  'netwarden intel update --feeds FILE [--cache DIR]': 'synopsis: FILE and DIR are placeholders',
  'netwarden intel list --feeds FILE [--cache DIR]': 'synopsis: FILE and DIR are placeholders',
  'netwarden intel update --feeds FILE [--cache DIR] [--json]': 'synopsis: FILE and DIR are placeholders',
  'netwarden intel list --feeds FILE [--cache DIR] [--json]': 'synopsis: FILE and DIR are placeholders',
  'netwarden analyze --intel FILE [--intel-cache DIR] capture.pcap': 'synopsis: FILE and DIR are placeholders',
  "sudo netwarden monitor eth0 --filter 'not port 22'":
    'root and a real interface; test/live-monitor.e2e-spec.ts runs monitor in network namespaces',
  'sudo netwarden monitor eth0 --jsonl | jq -c \'select(.severity == "high")\'':
    'root, a real interface and a pipe into jq; test/live-monitor.e2e-spec.ts covers --jsonl',
  'curl -H "X-API-Key: $KEY" -H \'Content-Type: application/json\' -d \'{"interface":"eth0","filter":"not port 22"}\' http://127.0.0.1:3000/live':
    "starts a capture on the machine's real eth0; test/live-service.e2e-spec.ts starts sessions in network namespaces",
  'curl -H "X-API-Key: $KEY" http://127.0.0.1:3000/live/$SESSION':
    'needs a running live session (see the POST /live example); covered by test/live-service.e2e-spec.ts',
  'curl -H "X-API-Key: $KEY" -X POST http://127.0.0.1:3000/live/$SESSION/stop':
    'needs a running live session (see the POST /live example); covered by test/live-service.e2e-spec.ts',
};

const runnable = examples.filter((e) => !(e.command in NOT_RUNNABLE));
const API_ORIGIN = /^https?:\/\/(?:127\.0\.0\.1|localhost):3000(?=\/|$)/;

describe('README examples', () => {
  it('are all found: the parser finds as many as an independent line count, each runnable or listed', () => {
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.length).toBe(countExampleLines(readme));
    // A listed example that left the README is a stale entry: remove it.
    const written = new Set(examples.map((e) => e.command));
    expect(Object.keys(NOT_RUNNABLE).filter((c) => !written.has(c))).toEqual([]);
    expect(runnable.length + examples.filter((e) => e.command in NOT_RUNNABLE).length).toBe(examples.length);
  });

  it("lists each /data kind's sort fields exactly as the API accepts them", () => {
    for (const [kind, fields] of Object.entries(SORT_FIELDS)) {
      const listed = new RegExp(`\\n\\s*\`${kind}\`(?: \\([^)]*\\))?: ([^;.\\n]+)[;.]`).exec(readme);
      expect([kind, listed?.[1].split(', ')]).toEqual([kind, fields]);
    }
  });

  it('Layout names every folder and top-level file of src/ and src/engine/', () => {
    const layout = /\n## Layout\n[\s\S]*?```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const named = (entry: string) => new RegExp(`(^|[\\s/])${entry.replace('.', '\\.')}/?(\\s|$)`, 'm').test(layout);
    const entries = (dir: string) =>
      readdirSync(join(ROOT, dir), { withFileTypes: true })
        .filter((d) => d.isDirectory() || !d.name.endsWith('.spec.ts'))
        .map((d) => `${dir}/${d.name}`);
    const src = entries('src');
    const engineFolders = entries('src/engine').filter((p) => !p.endsWith('.ts'));
    expect([...src, ...engineFolders].filter((p) => !named(p.split('/').pop()!))).toEqual([]);
  });

  it('the word parser splits as sh would and refuses what it cannot run without a shell', () => {
    expect(shellWords(`curl -H "X-API-Key: $KEY" 'a b'\\ c "\${ID}/x" -d '{"a":1}'`, { KEY: 'k', ID: 'i' })).toEqual([
      'curl',
      '-H',
      'X-API-Key: k',
      'a b c',
      'i/x',
      '-d',
      '{"a":1}',
    ]);
    expect(() => shellWords('curl $NOPE', {})).toThrow(/no value for \$NOPE/);
    expect(() => shellWords('netwarden x | jq .', {})).toThrow(/pipe/);
    expect(() => shellWords('curl $(id)', {})).toThrow(/substitution/);
  });

  describe('run against a live API and worker', () => {
    let stack: ServiceStack;
    let work: string;
    let vars: Record<string, string>;

    beforeAll(async () => {
      stack = await ServiceStack.start({ name: 'readme-examples', workers: 1 });
      work = mkdtempSync(join(tmpdir(), 'nw-readme-examples-'));
      const capture = join(work, 'capture.pcap');
      copyFileSync(join(SHARED_PCAPS, 'attacks', 'http-basic-and-form.pcap'), capture);
      writeFileSync(`${capture}.gz`, gzipSync(readFileSync(capture)));
      symlinkSync(join(ROOT, 'fixtures'), join(work, 'fixtures'));
      const up = await stack.upload(capture);
      expect(up.body.id).toBeDefined();
      expect((await stack.waitDone(up.body.id!)).status).toBe('done');
      vars = { KEY: TEST_API_KEY, ID: up.body.id!, CAPTURE: up.body.id! };
    }, 120_000);

    afterAll(async () => {
      await stack?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    function run(e: ReadmeExample): { status: number | null; stderr: string } {
      const words = shellWords(e.command, vars);
      if (e.tool === 'curl') {
        const args = words.slice(1).map((w) => w.replace(API_ORIGIN, stack.api.url));
        const r = spawnSync('curl', ['-f', '-sS', '--max-time', '60', ...args], { cwd: work, encoding: 'utf8' });
        return { status: r.status, stderr: r.stderr };
      }
      const at = words.indexOf('netwarden');
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'netwarden.js'), ...words.slice(at + 1)], {
        cwd: work,
        encoding: 'utf8',
        env: { ...process.env, FORCE_COLOR: '0' },
      });
      return { status: r.status, stderr: r.stderr };
    }

    it.each(runnable.map((e) => [e.line, e.command, e] as const))('README line %i: %s', (_line, _command, e) => {
      const r = run(e);
      expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    });
  });
});
