import { HttpException, HttpStatus } from '@nestjs/common';
import { LiveCaptureError, type LiveCaptureErrorCode } from './live-capture-error';

const STATUS: Record<LiveCaptureErrorCode, HttpStatus> = {
  'no-such-interface': HttpStatus.BAD_REQUEST,
  'bad-filter': HttpStatus.BAD_REQUEST,
  busy: HttpStatus.CONFLICT,
  // The server lacks something (privilege, libpcap, configuration): not the client's fault.
  permission: HttpStatus.SERVICE_UNAVAILABLE,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  disabled: HttpStatus.SERVICE_UNAVAILABLE,
  'open-failed': HttpStatus.SERVICE_UNAVAILABLE,
  'capture-failed': HttpStatus.SERVICE_UNAVAILABLE,
};

/** A LiveCaptureError as an HTTP answer whose `error` is the code and whose message says what to do. */
export function liveHttpError(err: unknown): unknown {
  if (!(err instanceof LiveCaptureError)) return err;
  const status = STATUS[err.code];
  return new HttpException({ statusCode: status, error: err.code, message: err.message }, status);
}
