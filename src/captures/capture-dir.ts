import { join } from 'node:path';
import type { Settings } from '../config/settings';

/** Where a capture's chunk files live: named by its id (a UUID we made), never by anything the client sent. */
export function captureDir(settings: Pick<Settings, 'dataDir'>, captureId: string): string {
  return join(settings.dataDir, 'captures', captureId);
}
