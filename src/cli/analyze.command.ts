import { randomUUID } from 'node:crypto';
import { isUuid } from '../http/query-params';
import { readFileSync, statSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { IngestError } from '../captures/capture-ingest';
import { describeConnections, loadServiceSettings, missingDatabaseMessage } from '../config/service-settings';
import { SettingsError, type Settings } from '../config/settings';
import { analyzeCapture, type CaptureAnalysis } from '../engine/analyze-capture';
import { ConfigError, resolveConfig, type EngineConfig } from '../engine/config';
import type { BaselineMode } from '../engine/baseline/baseline-session';
import type { DetectorResources } from '../engine/detectors/detector-resources';
import { assertKnownDetectors, UnknownDetectorError } from '../engine/detectors/registry';
import { isSeverity, severityRank, type Severity } from '../engine/finding';
import { CliBaseline, dbBaselineOption, type BaselineCliOptions } from './baseline-option';
import { renderAnalysis } from './findings-table';
import { ProgressBar } from './progress-bar';
import { terminalSafe } from './terminal-text';
import { loadIntelResources } from './intel.command';
import { secureDataDir } from '../storage/secure-data-dir';
import { EXIT, UsageError } from './exit-codes';

export interface AnalyzeCommandOptions extends BaselineCliOptions {
  json?: boolean;
  jsonl?: boolean;
  detectors?: string;
  minSeverity?: string;
  failOn?: string;
  config?: string;
  progress?: boolean;
  intel?: string;
  intelCache?: string;
  /** PostgreSQL URL: store the capture and its findings through the workers' code path. */
  db?: string;
  /** With --db: where chunk files go (default NETWARDEN_DATA_DIR, ./data). */
  dataDir?: string;
  /** Capture id the finding ids derive from (default: the file name; with --db a new UUID). */
  captureId?: string;
}

// Re-exported: the other commands take them from here.
export { EXIT, UsageError };

const PROGRESS_MIN_BYTES = 64 * 1024 * 1024;

export function severityOption(name: string, value: string | undefined): Severity | undefined {
  if (value === undefined) return undefined;
  if (!isSeverity(value))
    throw new UsageError(`${name} must be one of info, low, medium, high, critical (got "${terminalSafe(value, 40)}")`);
  return value;
}

export function loadConfig(file: string | undefined): EngineConfig {
  if (!file) return resolveConfig();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read config ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config ${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return resolveConfig(json);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`config ${file}: ${err.message}`);
    throw err;
  }
}

function inputSize(file: string): number {
  if (file === '-') return 0;
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Opening problems (missing file, directory, permissions) as one line, like the reader's errors. */
function openError(file: string, err: unknown): string | null {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why: Record<string, string> = {
    ENOENT: 'no such file',
    EISDIR: 'is a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
  };
  return code && why[code] ? `${file}: ${why[code]}` : null;
}

function checkCaptureIdOptions(files: string[], o: AnalyzeCommandOptions): void {
  if (o.dataDir !== undefined && !o.db) throw new UsageError('--data-dir needs --db');
  if (o.captureId === undefined) return;
  if (files.length > 1) throw new UsageError('--capture-id names one capture: give one file');
  if (o.captureId === '' || o.captureId.length > 200) throw new UsageError('--capture-id must be 1 to 200 characters');
  if (o.db && !isUuid(o.captureId)) throw new UsageError('with --db, --capture-id must be a UUID');
}

/** Settings for --db (chunk sizes, size cap, SECRET_KEY for the carried state), with the options' overrides. */
async function openDb(o: AnalyzeCommandOptions & { db: string }): Promise<{ settings: Settings; ds: DataSource }> {
  let settings: Settings;
  let dotEnvPath: string | null;
  try {
    // Like the API and the workers (.env in the working directory, the environment winning), with
    // --db and --data-dir over both: set in the environment given, .env never overrides them.
    ({ settings, dotEnvPath } = loadServiceSettings(process.cwd(), {
      ...process.env,
      DATABASE_URL: o.db,
      ...(o.dataDir ? { NETWARDEN_DATA_DIR: o.dataDir } : {}),
    }));
  } catch (err) {
    if (err instanceof SettingsError) throw new UsageError(err.message.replace('DATABASE_URL', '--db'));
    throw err;
  }
  // stderr: stdout carries the report (--json).
  process.stderr.write(`netwarden analyze: ${describeConnections(settings, dotEnvPath)}\n`);
  secureDataDir(settings.dataDir, (line) => process.stderr.write(`netwarden: ${line}\n`));
  // Loaded on demand: plain `analyze` stays free of TypeORM's start-up cost.
  const { openDataSource } = await import('../database/data-source');
  let ds: DataSource;
  try {
    ds = await openDataSource(settings.databaseUrl, settings.migrationsRun);
  } catch (err) {
    const missing = missingDatabaseMessage(err, settings.databaseUrl);
    throw new UsageError(missing ?? `cannot open the database given by --db: ${(err as Error).message}`);
  }
  if (await ds.showMigrations()) {
    await ds.destroy();
    throw new UsageError(
      'the database given by --db lacks migrations: run `npm run migration:run` (or set MIGRATIONS_RUN=true)',
    );
  }
  return { settings, ds };
}

/** --detectors a,b,c: known ids, or a UsageError naming the unknown one. */
export function detectorsOption(value: string | undefined): string[] | undefined {
  const detectors = value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (detectors) {
    try {
      assertKnownDetectors(detectors.map((d) => terminalSafe(d, 40)));
    } catch (err) {
      if (err instanceof UnknownDetectorError) throw new UsageError(err.message);
      throw err;
    }
  }
  return detectors;
}

export async function runAnalyze(files: string[], o: AnalyzeCommandOptions): Promise<number> {
  if (files.length === 0) throw new UsageError('analyze needs at least one capture file (or - for stdin)');
  if (o.json && o.jsonl) throw new UsageError('choose one of --json and --jsonl');
  checkCaptureIdOptions(files, o);
  const minSeverity = severityOption('--min-severity', o.minSeverity) ?? 'info';
  const failOn = severityOption('--fail-on', o.failOn);
  const config = loadConfig(o.config);
  const detectors = detectorsOption(o.detectors);

  const baseline = await CliBaseline.open(o, detectors, config);
  const dbBaseline = dbBaselineOption(o, detectors);

  const intel = o.intel ? loadIntelResources(o.intel, o.intelCache) : {};
  const db = o.db ? await openDb({ ...o, db: o.db }) : null;
  try {
    return await analyzeFiles(files, o, { minSeverity, failOn, config, detectors, baseline, dbBaseline, intel, db });
  } finally {
    await db?.ds.destroy();
  }
}

interface AnalyzeContext {
  minSeverity: Severity;
  failOn: Severity | undefined;
  config: EngineConfig;
  detectors: string[] | undefined;
  baseline: CliBaseline | null;
  /** --baseline-network: stored on the capture, loaded and saved by the ChunkProcessor. */
  dbBaseline: { network: string; mode: BaselineMode } | null;
  intel: DetectorResources;
  db: { settings: Settings; ds: DataSource } | null;
}

async function analyzeFiles(files: string[], o: AnalyzeCommandOptions, cx: AnalyzeContext): Promise<number> {
  const { minSeverity, failOn, config, detectors, baseline, dbBaseline, intel, db } = cx;

  const results: CaptureAnalysis[] = [];
  let badInput = false;
  let failed = false;
  for (const file of files) {
    const size = inputSize(file);
    const bar =
      o.progress !== false && process.stderr.isTTY && size >= PROGRESS_MIN_BYTES
        ? new ProgressBar(process.stderr, file, size)
        : null;
    let result: CaptureAnalysis;
    const name = file === '-' ? 'stdin' : file;
    try {
      if (db) {
        const captureId = o.captureId ?? randomUUID();
        process.stderr.write(`netwarden: capture ${captureId}\n`);
        const { analyzeIntoDb } = await import('./analyze-into-db');
        result = await analyzeIntoDb(file, name, {
          dataSource: db.ds,
          settings: db.settings,
          config,
          captureId,
          detectors,
          resources: { ...intel, ...baseline?.resources() },
          baseline: dbBaseline,
        });
      } else {
        result = await analyzeCapture(file, name, {
          config,
          detectors,
          captureId: o.captureId,
          onProgress: bar ? (n) => bar.update(n) : undefined,
          resources: { ...intel, ...baseline?.resources() },
        });
      }
      baseline?.captured();
    } catch (err) {
      bar?.done();
      if (err instanceof IngestError) {
        process.stderr.write(`netwarden: ${terminalSafe(err.message, 300)}\n`);
        badInput = true;
        continue;
      }
      const msg = openError(file, err);
      if (msg === null) throw err;
      process.stderr.write(`netwarden: ${terminalSafe(msg, 300)}\n`);
      badInput = true;
      continue;
    } finally {
      bar?.done();
    }
    result.findings = result.findings.filter((f) => severityRank(f.severity) >= severityRank(minSeverity));
    for (const e of result.errors) {
      if (e.offset >= 0) badInput = true;
      process.stderr.write(`netwarden: ${terminalSafe(e.message, 300)}\n`);
    }
    if (failOn && result.findings.some((f) => severityRank(f.severity) >= severityRank(failOn))) failed = true;
    results.push(result);
    if (o.jsonl) {
      for (const f of result.findings) process.stdout.write(`${JSON.stringify(f)}\n`);
    } else if (!o.json) {
      process.stdout.write(`${renderAnalysis(result)}\n`);
    }
  }
  if (baseline) process.stderr.write(`netwarden: ${terminalSafe(await baseline.finish(), 400)}\n`);
  if (o.json) {
    const doc = files.length === 1 && results.length === 1 ? results[0] : results;
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  }
  if (badInput) return EXIT.BAD_INPUT;
  return failed ? EXIT.FINDINGS : EXIT.OK;
}
