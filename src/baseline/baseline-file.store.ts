import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  BaselineModelError,
  normalizeBaselineModel,
  parseBaselineModel,
  type BaselineModel,
} from '../engine/baseline/baseline-model';
import { PRIVATE_FILE_MODE } from '../storage/private-modes';
import { BaselineStoreError, type BaselineStore } from './baseline-store';

/** Larger than any model the caps allow (~4096 hosts × 256 peers); refuses to parse anything bigger. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

const REASONS: Record<string, string> = {
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a parent is not a directory',
  ENOENT: 'no such directory',
};

/** One network's baseline in one JSON file (the CLI's `--baseline FILE`). */
export class BaselineFileStore implements BaselineStore {
  constructor(readonly path: string) {}

  get name(): string {
    return this.path;
  }

  async load(network?: string): Promise<BaselineModel | null> {
    let text: string;
    try {
      const st = await fs.stat(this.path);
      if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
      if (st.size > MAX_FILE_BYTES)
        throw new BaselineStoreError(`baseline ${this.path}: file too large (${st.size} bytes)`);
      text = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      if (err instanceof BaselineStoreError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOENT') return null;
      throw new BaselineStoreError(`baseline ${this.path}: ${REASONS[code] ?? `cannot read (${code || String(err)})`}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new BaselineStoreError(`baseline ${this.path}: not valid JSON (corrupt or not a baseline file)`);
    }
    let model: BaselineModel;
    try {
      model = parseBaselineModel(doc);
    } catch (err) {
      if (err instanceof BaselineModelError) throw new BaselineStoreError(`baseline ${this.path}: ${err.message}`);
      throw err;
    }
    if (network !== undefined && model.network !== network)
      throw new BaselineStoreError(
        `baseline ${this.path} is for network "${model.network}", not "${network}" (use another file or --network ${model.network})`,
      );
    return model;
  }

  /** Writes a temporary file beside the target, flushes it, then renames it over the target. */
  async save(model: BaselineModel): Promise<void> {
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const fh = await fs.open(tmp, 'wx', PRIVATE_FILE_MODE);
      try {
        await fh.writeFile(`${JSON.stringify(normalizeBaselineModel(model), null, 1)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, this.path);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code ?? '';
      throw new BaselineStoreError(`baseline ${this.path}: cannot write (${REASONS[code] ?? (code || String(err))})`);
    }
  }
}
