import { containedErrorNotes } from './contained-errors';
import type { Pipeline } from './pipeline';

/**
 * What a finished analysis adds to its `errors` beyond damage in the input (offset -1): findings
 * dropped at the maxFindings cap and exceptions contained inside the engine. One function, so
 * `netwarden analyze`, `analyze --db`, the workers and `netwarden monitor` say it alike.
 */
export function endOfCaptureNotes(source: string, pipeline: Pipeline): Array<{ offset: number; message: string }> {
  const notes = containedErrorNotes(source, pipeline.containedErrors());
  const dropped = pipeline.getStats().findingsDropped;
  if (dropped > 0) {
    notes.unshift({
      offset: -1,
      message: `${source}: finding limit reached (maxFindings ${pipeline.config.maxFindings}); ${dropped} further findings were dropped`,
    });
  }
  return notes;
}
