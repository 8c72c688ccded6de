import {
  BadRequestException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
  UseFilters,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConsumes,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CAPTURE_STATUSES } from './capture.entity';
import { MAX_PAGE_LIMIT, parseCaptureListQuery } from './capture-list-query';
import { CaptureUploadService } from './capture-upload.service';
import { CapturePageView, CaptureView, ErrorView, UploadedCaptureView } from './capture-view';
import { CapturesService } from './captures.service';
import { UploadExceptionFilter } from './upload-exception.filter';
import { parseUploadOptions } from './upload-options';
import { RAW_CAPTURE_TYPES } from './upload-receiver';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => new BadRequestException('the capture id must be a UUID'),
});

@ApiTags('captures')
@ApiSecurity('api-key')
@ApiUnauthorizedResponse({ type: ErrorView, description: 'missing or invalid credentials (X-API-Key or Bearer JWT)' })
@Controller('captures')
@UseFilters(UploadExceptionFilter)
export class CapturesController {
  constructor(
    private readonly uploads: CaptureUploadService,
    private readonly captures: CapturesService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Upload a capture (pcap or pcapng, optionally gzip-compressed; analyst or admin)',
    description:
      'Multipart field `file`, or the capture as the raw body. Streams to disk in chunks and queues it for analysis. ' +
      'The same file again (same SHA-256 of the capture bytes) answers 200 with the existing capture and `duplicate: true`, unless `force=true`.',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['file'],
            properties: { file: { type: 'string', format: 'binary', description: 'pcap or pcapng, gzip allowed' } },
          },
        },
        ...Object.fromEntries(RAW_CAPTURE_TYPES.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
      },
    },
  })
  @ApiConsumes('multipart/form-data', ...RAW_CAPTURE_TYPES)
  @ApiQuery({
    name: 'force',
    required: false,
    type: Boolean,
    description: 'store again even when the same file exists',
  })
  @ApiQuery({
    name: 'detectors',
    required: false,
    type: String,
    description: 'comma-separated detector ids (default: all)',
  })
  @ApiQuery({ name: 'name', required: false, type: String, description: 'display name for a raw upload' })
  @ApiQuery({
    name: 'baseline',
    required: false,
    type: String,
    description: 'network whose learned baseline (stored in the database) the network-baseline detector uses',
  })
  @ApiQuery({
    name: 'baselineMode',
    required: false,
    enum: ['auto', 'learn', 'detect'],
    description:
      'with baseline: learn into it, compare with it, or auto (learn for learnPeriod, then compare; default)',
  })
  @ApiAcceptedResponse({ type: UploadedCaptureView, description: 'stored and queued; Location: /captures/{id}' })
  @ApiOkResponse({ type: UploadedCaptureView, description: 'the same file was already stored (duplicate: true)' })
  @ApiBadRequestResponse({
    type: ErrorView,
    description: 'empty upload, malformed form, unknown detector, bad baseline options',
  })
  @ApiPayloadTooLargeResponse({ type: ErrorView, description: 'beyond UPLOAD_MAX_BYTES' })
  @ApiUnsupportedMediaTypeResponse({
    type: ErrorView,
    description: 'not a pcap/pcapng, or a Content-Type not accepted',
  })
  @ApiUnprocessableEntityResponse({ type: ErrorView, description: 'a capture header with no readable packet' })
  async upload(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Query() query: Record<string, unknown>,
  ): Promise<UploadedCaptureView> {
    const options = parseUploadOptions(query);
    const outcome = await this.uploads.upload(req, res, options);
    res.status(outcome.status);
    if (outcome.status === 202) res.location(`/captures/${outcome.view.id}`);
    return outcome.view;
  }

  @Get()
  @ApiOperation({ summary: 'Captures, newest first, a page at a time' })
  @ApiQuery({ name: 'page', required: false, type: Number, description: 'from 1' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: `1–${MAX_PAGE_LIMIT}, default 50` })
  @ApiQuery({ name: 'status', required: false, enum: CAPTURE_STATUSES })
  @ApiOkResponse({ type: CapturePageView })
  @ApiBadRequestResponse({ type: ErrorView, description: 'page, limit or status out of range' })
  list(@Query() query: Record<string, unknown>): Promise<CapturePageView> {
    const q = parseCaptureListQuery(query);
    return this.captures.page(q.page, q.limit, q.status);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One capture: status, progress, timings, finding counts by severity' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: CaptureView, description: 'the capture (never its pipeline state)' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'not a UUID' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'no capture with this id' })
  get(@Param('id', uuid) id: string): Promise<CaptureView> {
    return this.captures.view(id);
  }

  @Get(':id/pcap')
  @ApiOperation({
    summary: "The capture's stored packets as one capture file (raw packets: analyst or admin)",
    description:
      'Every stored chunk in order (pcap, or pcapng for pcapng uploads), streamed. For live sessions: what the rolling retention kept (LIVE_RETAIN_BYTES / LIVE_RETAIN_SECONDS); X-Netwarden-Chunks-Missing counts the chunks pruned before. 410 when nothing is stored.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiProduces('application/vnd.tcpdump.pcap', 'application/x-pcapng')
  @ApiResponse({ status: 200, description: 'capture file (attachment)', schema: { type: 'string', format: 'binary' } })
  @ApiNotFoundResponse({ type: ErrorView, description: 'no capture with this id' })
  @ApiResponse({ status: 410, type: ErrorView, description: 'its packets are no longer stored' })
  async pcap(@Param('id', uuid) id: string, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const out = await this.captures.export(id);
    res.setHeader('X-Netwarden-Chunks-Missing', String(out.missing));
    return new StreamableFile(out.stream, {
      type: out.format === 'pcapng' ? 'application/x-pcapng' : 'application/vnd.tcpdump.pcap',
      disposition: `attachment; filename="capture-${id}.${out.format}"`,
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a capture: its queued jobs, findings, chunks and files (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'not a UUID' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'no capture with this id' })
  async remove(@Param('id', uuid) id: string): Promise<void> {
    await this.captures.remove(id);
  }
}
