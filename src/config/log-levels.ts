import type { LogLevel } from '@nestjs/common';
import { LOG_LEVELS, type LogLevelSetting } from './settings';

/** The Nest logger levels LOG_LEVEL enables: fatal always, then every level down to the one chosen. */
export function nestLogLevels(level: LogLevelSetting): LogLevel[] {
  return ['fatal', ...LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1)];
}
