import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * The data disk filling up while an upload is written: 507 Insufficient Storage, the status for
 * "the server cannot store this now" — not 413 (the upload is within UPLOAD_MAX_BYTES and may fit
 * once space is freed) and not 503 (the service itself is up; smaller uploads still succeed).
 */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

export function isDiskFull(err: unknown, depth = 0): boolean {
  if (depth > 4 || typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; cause?: unknown };
  return (typeof e.code === 'string' && DISK_FULL_CODES.has(e.code)) || isDiskFull(e.cause, depth + 1);
}

export function diskFullException(): HttpException {
  return new HttpException(
    {
      statusCode: HttpStatus.INSUFFICIENT_STORAGE,
      error: 'Insufficient Storage',
      message:
        'no space left on the data disk (NETWARDEN_DATA_DIR): the upload was not stored; try again once space is freed',
    },
    HttpStatus.INSUFFICIENT_STORAGE,
  );
}
