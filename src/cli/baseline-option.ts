import { BaselineFileStore } from '../baseline/baseline-file.store';
import { BaselineStoreError } from '../baseline/baseline-store';
import { emptyBaselineModel, NETWORK_NAME, type BaselineModel } from '../engine/baseline/baseline-model';
import { AddressRanges } from '../engine/baseline/address-ranges';
import { baselineSession, type BaselineMode, type BaselineSession } from '../engine/baseline/baseline-session';
import { ConfigError, type EngineConfig } from '../engine/config';
import type { DetectorResources } from '../engine/detectors/detector-resources';
import { UsageError } from './analyze.command';
import { terminalSafe } from './terminal-text';

/** `analyze --baseline FILE [--learn | --detect] [--network NAME]`. */
export interface BaselineCliOptions {
  baseline?: string;
  learn?: boolean;
  detect?: boolean;
  network?: string;
  /** `analyze --db URL --baseline-network NAME`: the baseline stored in the database (see dbBaselineOption). */
  baselineNetwork?: string;
}

/**
 * `--baseline-network NAME` (with --db): the capture is recorded with that baseline and mode, and
 * the workers' ChunkProcessor loads and saves the model in the baselines table, as for an upload
 * with `?baseline=NAME&baselineMode=…`. Null without the option.
 */
export function dbBaselineOption(
  o: BaselineCliOptions & { db?: string },
  detectors: readonly string[] | undefined,
): { network: string; mode: BaselineMode } | null {
  if (o.baselineNetwork === undefined) return null;
  if (!o.db) throw new UsageError('--baseline-network needs --db (a file baseline is --baseline FILE)');
  if (o.learn && o.detect) throw new UsageError('choose one of --learn and --detect');
  if (!NETWORK_NAME.test(o.baselineNetwork))
    throw new UsageError(
      `--baseline-network must be 1-64 letters, digits, '.', '_' or '-' (got "${terminalSafe(o.baselineNetwork, 70)}")`,
    );
  if (detectors && !detectors.includes('network-baseline'))
    throw new UsageError('--baseline-network needs the network-baseline detector (add it to --detectors)');
  return { network: o.baselineNetwork, mode: o.learn ? 'learn' : o.detect ? 'detect' : 'auto' };
}

/**
 * The baseline of one `netwarden analyze` run: loaded before the first capture, handed to each
 * capture's detector set in turn (so learning over several files extends one model), saved
 * after the last one when the mode learns. Mode: --learn, --detect, or auto (neither: learn for
 * learnPeriod from the model's start, then detect; a missing file starts a new model).
 */
export class CliBaseline {
  private session: BaselineSession | null = null;

  private constructor(
    private readonly store: BaselineFileStore,
    readonly mode: BaselineMode,
    private model: BaselineModel,
  ) {}

  static async open(
    o: BaselineCliOptions,
    detectors: readonly string[] | undefined,
    config: EngineConfig,
  ): Promise<CliBaseline | null> {
    if (o.baseline === undefined) {
      if (o.network !== undefined || ((o.learn || o.detect) && o.baselineNetwork === undefined))
        throw new UsageError(
          '--learn, --detect and --network need --baseline FILE (or --baseline-network NAME with --db)',
        );
      return null;
    }
    if (o.baselineNetwork !== undefined) throw new UsageError('choose one of --baseline and --baseline-network');
    if (o.learn && o.detect) throw new UsageError('choose one of --learn and --detect');
    if (detectors && !detectors.includes('network-baseline'))
      throw new UsageError('--baseline needs the network-baseline detector (add it to --detectors)');
    if (o.network !== undefined && !NETWORK_NAME.test(o.network))
      throw new UsageError(
        `--network must be 1-64 letters, digits, '.', '_' or '-' (got "${terminalSafe(o.network, 70)}")`,
      );
    try {
      new AddressRanges(config.detectors['network-baseline'].internalNetworks);
    } catch (err) {
      if (err instanceof ConfigError)
        throw new UsageError(`network-baseline.internalNetworks: ${terminalSafe(err.message, 100)}`);
      throw err;
    }
    const mode: BaselineMode = o.learn ? 'learn' : o.detect ? 'detect' : 'auto';
    const store = new BaselineFileStore(o.baseline);
    let model: BaselineModel | null;
    try {
      model = await store.load(o.network);
    } catch (err) {
      if (err instanceof BaselineStoreError) throw new UsageError(terminalSafe(err.message, 300));
      throw err;
    }
    if (model === null) {
      if (mode === 'detect')
        throw new UsageError(`baseline ${terminalSafe(o.baseline, 200)}: no such file (learn one first with --learn)`);
      model = emptyBaselineModel(o.network ?? 'default');
    } else if (mode === 'detect' && model.packets === 0) {
      throw new UsageError(`baseline ${terminalSafe(o.baseline, 200)} holds nothing learned yet`);
    }
    return new CliBaseline(store, mode, model);
  }

  /** Resources for the next capture's detectors. */
  resources(): DetectorResources {
    this.session = baselineSession(this.mode, this.model);
    return { baseline: this.session };
  }

  /** The capture is done: what it learned is the model the next capture starts from. */
  captured(): void {
    if (this.session?.learned) this.model = this.session.learned;
    this.session = null;
  }

  /** Saves the model (learn and auto modes); returns a one-line summary for stderr. */
  async finish(): Promise<string> {
    const m = this.model;
    const what = `${m.hosts.length} hosts, ${m.services.length} services, ${m.protocols.length} protocols, ${m.hours} hour${m.hours === 1 ? '' : 's'}`;
    if (this.mode === 'detect')
      return `baseline ${this.store.name} (network ${m.network}, ${what}): compared, not changed`;
    try {
      await this.store.save(m);
    } catch (err) {
      if (err instanceof BaselineStoreError) throw new UsageError(terminalSafe(err.message, 300));
      throw err;
    }
    return `baseline ${this.store.name} (network ${m.network}) saved: ${what}`;
  }
}
