/** The cut run disagreed with the single pass (determinism under chunking is a contract). */
export class ChunkingMismatch extends Error {
  override name = 'ChunkingMismatch';
  constructor(
    message: string,
    /** Detector and finding type (or the learned baseline) that differed: what makes two mismatches the same. */
    readonly differsIn: string,
  ) {
    super(message);
  }
}

/** A case that used more CPU than a case may (a hang or a blow-up in some layer). */
export class SlowCase extends Error {
  override name = 'SlowCase';
}

/** Heap in use above the run's bound when sampled (state that is not bounded by its caps). */
export class HeapExceeded extends Error {
  override name = 'HeapExceeded';
}

/** Error name, message and the frame it was thrown from: what makes two failures the same. */
export function signature(e: unknown): string {
  if (e instanceof ChunkingMismatch) return `${e.name}: ${e.differsIn}`;
  if (!(e instanceof Error)) return String(e);
  const frame = (e.stack ?? '').split('\n').find((l) => l.trim().startsWith('at ')) ?? '';
  return `${e.name}: ${e.message.split('\n')[0]}\n${frame.trim().replace(/:\d+\)?$/, '')}`;
}

export function describe(e: unknown): string {
  if (e instanceof ChunkingMismatch) return `${signature(e)}\n${e.message}`;
  if (e instanceof Error) return `${signature(e)}\n${(e.stack ?? '').split('\n').slice(2, 6).join('\n')}`;
  return String(e);
}
