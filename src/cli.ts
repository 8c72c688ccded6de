import { Command, CommanderError } from 'commander';
import { version } from '../package.json';
import { EXIT, UsageError } from './cli/exit-codes';
import { DETECTOR_CATALOG } from './engine/detectors/detector-catalog';

// Commands are loaded inside their actions: `--help` and `--version` must not pay for the engine,
// TypeORM or libpcap (they took 0.5-1.8 s when everything was loaded up front).

/**
 * `netwarden` command line. `analyze` runs the engine in-process: no Redis, no PostgreSQL.
 * Bad input and usage errors print one line and exit 2; a stack trace is only for our own bugs.
 */
function program(): Command {
  const p = new Command();
  p.name('netwarden')
    .description('Network security monitor: find attacks in pcap/pcapng captures and on live interfaces.')
    .version(version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run netwarden --help for usage)');

  p.command('analyze')
    .description('analyse capture files (pcap or pcapng; - reads stdin) and print findings')
    .argument('<files...>', 'capture files, or - for standard input')
    .option('--json', 'one JSON object per file (an array when several files are given)')
    .option('--jsonl', 'one finding per line as JSON')
    .option(
      '--detectors <ids>',
      `comma-separated detector ids (default: all: ${DETECTOR_CATALOG.map((d) => d.id).join(', ')})`,
    )
    .option('--min-severity <severity>', 'hide findings below this severity (info, low, medium, high, critical)')
    .option('--fail-on <severity>', 'exit 1 when a finding at or above this severity is found')
    .option('--config <file>', 'JSON file overriding engine thresholds (see README)')
    .option('--no-progress', 'never draw the progress bar')
    .option('--baseline <file>', 'network baseline file: learns, then compares (auto; see README "Network baseline")')
    .option('--learn', 'with --baseline: learn (create or extend the file), report nothing from the baseline')
    .option('--detect', 'with --baseline: compare with the file, never change it')
    .option(
      '--network <name>',
      'with --baseline: the network/sensor the file describes (default: the file\'s, or "default")',
    )
    .option('--intel <file>', 'threat-intelligence feeds file (JSON): match traffic against the cached feeds')
    .option('--intel-cache <dir>', 'feed cache directory (default $NETWARDEN_DATA_DIR/intel-cache, ./data/intel-cache)')
    .option(
      '--db <url>',
      'PostgreSQL URL: store the capture and its findings as the service does (prints the capture id on stderr)',
    )
    .option('--data-dir <dir>', 'with --db: where the chunk files go (default $NETWARDEN_DATA_DIR, ./data)')
    .option(
      '--baseline-network <name>',
      "with --db: the network's baseline stored in the database (as uploads with ?baseline= use it); --learn/--detect as with --baseline",
    )
    .option(
      '--capture-id <id>',
      'capture id the finding ids derive from (default: the file name; with --db: a new UUID)',
    )
    .action(async (files: string[], opts) => {
      const { runAnalyze } = await import('./cli/analyze.command');
      process.exitCode = await runAnalyze(files, opts);
    });

  p.command('monitor')
    .description('watch a live interface (libpcap) and print findings as they appear; Ctrl-C stops')
    .argument('<interface>', 'interface to capture on (see `ip link`)')
    .option('--filter <bpf>', 'capture filter in libpcap (tcpdump) syntax, e.g. "not port 22"')
    .option('--jsonl', 'one finding per line as JSON, again whenever it changes (the later line wins)')
    .option('--detectors <ids>', 'comma-separated detector ids (default: all)')
    .option('--min-severity <severity>', 'hide findings below this severity')
    .option('--config <file>', 'JSON file overriding engine thresholds (see README)')
    .option('--snaplen <bytes>', 'bytes kept of each packet (default 262144)')
    .option('--no-promisc', 'do not put the interface into promiscuous mode')
    .option('--buffer-size <bytes>', "libpcap's kernel buffer (default 33554432)")
    .option('--capture-id <id>', 'capture id the finding ids derive from (default monitor-<interface>)')
    .option(
      '--stats-interval <seconds>',
      'print packet and drop counters on stderr this often (default: only at the end)',
    )
    .action(async (iface: string, opts) => {
      const { runMonitor } = await import('./cli/monitor.command');
      process.exitCode = await runMonitor(iface, opts);
      // A stopped capture's libpcap handle may stay registered with the event loop until another
      // packet arrives (see LivePacketSource.close): leave once everything is written.
      exitWhenDone = true;
    });

  const intel = p.command('intel').description('threat-intelligence feeds: fetch into the cache, list');
  intel
    .command('update')
    .description('fetch every enabled feed (conditional GET); a failed feed keeps its last good copy (exit 1)')
    .requiredOption('--feeds <file>', 'feeds file (JSON, see config/intel-feeds.example.json)')
    .option('--cache <dir>', 'cache directory (default $NETWARDEN_DATA_DIR/intel-cache, ./data/intel-cache)')
    .option('--json', 'print the per-feed results as JSON')
    .action(async (opts) => {
      const { runIntelUpdate } = await import('./cli/intel.command');
      process.exitCode = await runIntelUpdate(opts);
    });
  intel
    .command('list')
    .description('list the configured feeds and the state of their cached copies')
    .requiredOption('--feeds <file>', 'feeds file (JSON)')
    .option('--cache <dir>', 'cache directory (default $NETWARDEN_DATA_DIR/intel-cache, ./data/intel-cache)')
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      const { runIntelList } = await import('./cli/intel.command');
      process.exitCode = runIntelList(opts);
    });

  p.command('detectors')
    .description('list the available detectors')
    .action(() => {
      for (const d of DETECTOR_CATALOG) process.stdout.write(`${d.id.padEnd(20)} ${d.description}\n`);
    });
  return p;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; they exit 0.
      return err.exitCode === 0 ? EXIT.OK : EXIT.BAD_INPUT;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`netwarden: ${err.message}\n`);
      return EXIT.BAD_INPUT;
    }
    throw err;
  }
}

/** Set by commands that may leave native handles behind once done (monitor): run() then exits explicitly. */
let exitWhenDone = false;

function exitAfterFlush(code: number): void {
  // An empty write's callback runs after everything written before it has been handed to the OS.
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

/** Process entry: sets the exit code, never lets bad input end in a stack trace. */
export function run(argv: string[]): void {
  // Output to a closed pipe (`netwarden analyze f | head`) is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
  main(argv).then(
    (code) => {
      process.exitCode = code;
      if (exitWhenDone) exitAfterFlush(code);
    },
    (err: unknown) => {
      process.stderr.write(
        `netwarden: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 70;
    },
  );
}

if (require.main === module) run(process.argv);
