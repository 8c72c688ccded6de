import {
  BadRequestException,
  HttpException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import multer, { MulterError, type StorageEngine } from 'multer';
import { finished, PassThrough } from 'node:stream';
import { ingestCapture, IngestError, type IngestOptions, type IngestResult } from './capture-ingest';
import { DEFAULT_UPLOAD_NAME, sanitizeUploadName } from './upload-name';

/**
 * Takes the capture out of a `POST /captures` request and into `ingestCapture()` as a stream —
 * the upload is never held in memory. Two shapes: multipart/form-data with one file in field
 * `file` (multer, with a storage engine that is the ingest), or the capture as the raw body.
 * A refusal (415 not a capture, 413 too big, 400 bad form) is answered as soon as it is known:
 * the caller responds while the rest of the body is discarded (see UploadExceptionFilter).
 */
export const RAW_CAPTURE_TYPES = [
  'application/vnd.tcpdump.pcap',
  'application/x-pcapng',
  'application/octet-stream',
  'application/gzip',
] as const;
export const ACCEPTED_UPLOAD_TYPES = ['multipart/form-data', ...RAW_CAPTURE_TYPES];

export interface ReceivedUpload {
  ingest: IngestResult;
  /** The display name: ?name=, else the multipart filename, else upload.pcap — sanitised. */
  name: string;
}

/** The ingest settings for one request (dir = the capture's own directory). */
export interface ReceiveOptions extends Omit<IngestOptions, 'onChunk' | 'source'> {
  /** `?name=` as given (unsanitised), or null. */
  name: string | null;
  /** Told of the ingest once it starts, so a refusal can wait for it to stop writing before removing `dir`. */
  onIngest(running: Promise<unknown>): void;
}

export function mediaType(req: Request): string | null {
  const raw = req.headers['content-type'];
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  return raw.split(';')[0].trim().toLowerCase();
}

/** 415 for anything but the accepted types; called before the body is touched. */
export function assertAcceptedType(req: Request): 'multipart' | 'raw' {
  const type = mediaType(req);
  if (type === 'multipart/form-data') return 'multipart';
  if (type !== null && (RAW_CAPTURE_TYPES as readonly string[]).includes(type)) return 'raw';
  const given = type === null ? 'no Content-Type' : `Content-Type ${JSON.stringify(type.slice(0, 100))}`;
  throw new UnsupportedMediaTypeException(
    `${given} is not accepted: send multipart/form-data with the capture in field "file", or the capture itself as the body with Content-Type ${RAW_CAPTURE_TYPES.join(', ')}`,
  );
}

/**
 * 413 at once when the declared length is beyond anything the cap could allow (the cap applies to
 * the capture after gzip decoding; gzip and multipart add at most a little, hence the margin).
 */
export function assertDeclaredLength(req: Request, maxBytes: number): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + Math.ceil(maxBytes / 100) + 1024 * 1024) {
    throw new PayloadTooLargeException(
      `the upload declares ${declared} bytes (Content-Length), beyond the ${maxBytes}-byte limit (UPLOAD_MAX_BYTES)`,
    );
  }
}

export function receiveRaw(req: Request, opts: ReceiveOptions): Promise<ReceivedUpload> {
  // A PassThrough between the request and the ingest, so a refusal can unpipe the request and
  // let it drain (the ingest leaves its input paused), and a client that hangs up fails the ingest.
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  req.pipe(body);
  finished(req, (err) => {
    if (err) body.destroy(new BadRequestException('the client closed the connection before the upload ended'));
  });
  const name = sanitizeUploadName(opts.name);
  const ingest = ingestCapture(body, { ...opts, source: name });
  opts.onIngest(ingest);
  return ingest.then(
    (ingest) => ({ ingest, name }),
    (err: unknown) => {
      req.unpipe(body);
      body.destroy();
      req.resume();
      throw err;
    },
  );
}

function multerReason(err: MulterError): string {
  switch (err.code) {
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return 'too many form fields: send one file in field "file"';
    case 'LIMIT_FIELD_KEY':
    case 'LIMIT_FIELD_VALUE':
      return 'a form field name or value is too long';
    default:
      return `malformed form: ${err.message}`;
  }
}

/** multer errors (busboy's parse errors included) as a 400 with a reason. */
function formError(err: unknown): unknown {
  if (err instanceof HttpException) return err;
  if (err instanceof MulterError) return new BadRequestException(multerReason(err));
  // busboy's parse errors are plain Errors; file-system errors (with a code) stay 500s.
  if (err instanceof Error && !('status' in err) && !('code' in err)) {
    return new BadRequestException(`malformed multipart/form-data body: ${err.message}`);
  }
  return err;
}

/**
 * multer answers its own errors only after draining the whole body; a refusal here settles the
 * promise the moment it is known (bad field, second file, the ingest's 415/413/422) and lets
 * multer drain in the background.
 */
export function receiveMultipart(req: Request, res: Response, opts: ReceiveOptions): Promise<ReceivedUpload> {
  return new Promise<ReceivedUpload>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    let ingest: Promise<IngestResult> | null = null;
    let name = DEFAULT_UPLOAD_NAME;

    const storage: StorageEngine = {
      _handleFile(_req, file, cb) {
        name = sanitizeUploadName(opts.name ?? file.originalname);
        // A client that hangs up mid-file must fail the ingest, not leave it waiting for bytes.
        finished(req, (err) => {
          if (err)
            file.stream.destroy(new BadRequestException('the client closed the connection before the upload ended'));
        });
        ingest = ingestCapture(file.stream, { ...opts, source: name });
        opts.onIngest(ingest);
        ingest.then(
          () => cb(null, {}),
          (err: unknown) => {
            file.stream.resume(); // let busboy go on to the end of the body
            fail(err instanceof IngestError ? err : formError(err));
            cb(err as Error);
          },
        );
      },
      // The capture directory is the service's to remove (it is removed on any failure).
      _removeFile(_req, _file, cb) {
        cb(null);
      },
    };
    let files = 0;
    const upload = multer({
      storage,
      defParamCharset: 'utf8',
      limits: { fields: 16, fieldSize: 64 * 1024, fieldNameSize: 200, parts: 32, headerPairs: 100 },
      fileFilter(_req, file, cb) {
        files++;
        let refusal: BadRequestException | null = null;
        if (file.fieldname !== 'file') {
          refusal = new BadRequestException(
            `unexpected file field ${JSON.stringify(file.fieldname.slice(0, 100))}: send the capture in field "file"`,
          );
        } else if (files > 1) {
          refusal = new BadRequestException('more than one file: send exactly one capture in field "file"');
        }
        if (refusal) {
          fail(refusal);
          cb(refusal);
        } else cb(null, true);
      },
    }).any();

    upload(req, res, (err?: unknown) => {
      if (err) {
        fail(formError(err));
        return;
      }
      if (ingest === null) {
        fail(new BadRequestException('no file in the form: send the capture in multipart field "file"'));
        return;
      }
      ingest.then((result) => {
        if (settled) return;
        settled = true;
        resolve({ ingest: result, name });
      }, fail);
    });
  });
}
