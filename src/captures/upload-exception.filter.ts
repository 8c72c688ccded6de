import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  PayloadTooLargeException,
  UnprocessableEntityException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiExceptionFilter } from '../http/api-exception.filter';
import { IngestError } from './capture-ingest';
import { diskFullException, isDiskFull } from './disk-full';
import { UploadBudgetError } from './upload-byte-budget';

const log = new Logger('CaptureUpload');

/** How long a refused upload may go on sending (discarded) after its answer before we hang up. */
const LINGER_MS = 3000;

export function ingestErrorToHttp(err: IngestError): HttpException {
  switch (err.status) {
    case 400:
      return new BadRequestException(err.message);
    case 413:
      return new PayloadTooLargeException(err.message);
    case 415:
      return new UnsupportedMediaTypeException(err.message);
    case 422:
      return new UnprocessableEntityException(err.message);
    case 429:
      return new HttpException(
        { statusCode: 429, error: 'Too Many Requests', message: err.message },
        HttpStatus.TOO_MANY_REQUESTS,
      );
  }
}

/**
 * Errors of the captures routes as JSON `{ statusCode, error, message }` (IngestError mapped to
 * its status; the rest as every route answers them, see ApiExceptionFilter). An upload refused before its body ended is
 * answered at once; the rest of the body is read and discarded so the client, still sending,
 * gets the answer rather than a reset — and after LINGER_MS the connection is closed, so a
 * refused multi-gigabyte upload does not keep streaming.
 */
@Catch()
export class UploadExceptionFilter extends ApiExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    if (!req.complete && !req.destroyed) {
      req.resume();
      res.once('finish', () => {
        if (req.complete) return;
        const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
        timer.unref();
        req.once('end', () => clearTimeout(timer));
      });
    }
    if (exception instanceof UploadBudgetError && !res.headersSent) {
      res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    super.catch(this.toHttp(exception), host);
  }

  private toHttp(exception: unknown): unknown {
    if (exception instanceof IngestError) return ingestErrorToHttp(exception);
    if (isDiskFull(exception)) {
      // One line, no stack: the operator's to fix, and the upload's files are already removed.
      log.warn(`upload refused with 507: the data disk is full (${(exception as Error).message})`);
      return diskFullException();
    }
    return exception;
  }
}
