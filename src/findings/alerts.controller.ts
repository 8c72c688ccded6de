import { Readable } from 'node:stream';
import { join } from 'node:path';
import {
  BadRequestException,
  ConflictException,
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  Query,
  StreamableFile,
  UnprocessableEntityException,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import type { Finding } from '../engine/finding';
import { ALERT_SORTS, MAX_ALERTS_LIMIT, parseAlertsQuery } from './alerts-query';
import { EvidenceError, evidencePcap, readEvidencePackets } from './evidence-pcap';
import { ALERT_SCHEMA, ALERTS_PAGE_SCHEMA, ERROR_SCHEMA } from './finding.schema';
import { FindingsQueryService, type AlertsPage } from './findings-query.service';

const FINDING_ID = /^[0-9a-f]{32}$/;

/**
 * Findings as the engine wrote them (the `doc` column verbatim). GET /alerts pages with
 * page/limit (limit ≤ 500); a capture id that matches nothing answers 200 with no items, like any
 * other filter that matches nothing (captures are looked up through GET /captures/:id).
 */
@ApiTags('alerts')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@ApiResponse({
  status: 401,
  description: 'missing or invalid credentials (X-API-Key or Bearer JWT)',
  schema: ERROR_SCHEMA,
})
@Controller('alerts')
export class AlertsController {
  constructor(
    private readonly findings: FindingsQueryService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List findings',
    description:
      "Default order: firstSeen ascending, then the engine's sort key — exactly the order `netwarden analyze --json` prints a capture's findings in. Unknown query parameters are refused (400).",
  })
  @ApiQuery({ name: 'capture', required: false, description: 'capture id (UUID)' })
  @ApiQuery({
    name: 'severity',
    required: false,
    description: 'exact severities, comma list (info,low,medium,high,critical)',
  })
  @ApiQuery({ name: 'minSeverity', required: false, description: 'this severity or higher' })
  @ApiQuery({ name: 'detector', required: false, description: 'detector ids, comma list' })
  @ApiQuery({ name: 'type', required: false, description: 'finding type, exact' })
  @ApiQuery({ name: 'host', required: false, description: 'IPv4/IPv6 address: source or destination' })
  @ApiQuery({
    name: 'from',
    required: false,
    description: 'ISO time with zone: findings still active at or after it (lastSeen ≥ from)',
  })
  @ApiQuery({
    name: 'to',
    required: false,
    description: 'ISO time with zone: findings begun at or before it (firstSeen ≤ to)',
  })
  @ApiQuery({ name: 'page', required: false, description: '1-based page (default 1)' })
  @ApiQuery({ name: 'limit', required: false, description: `page size, 1–${MAX_ALERTS_LIMIT} (default 100)` })
  @ApiQuery({ name: 'sort', required: false, enum: ALERT_SORTS, description: 'leading - = descending' })
  @ApiResponse({ status: 200, schema: ALERTS_PAGE_SCHEMA })
  @ApiResponse({ status: 400, description: 'a bad filter value, with the reason', schema: ERROR_SCHEMA })
  async list(@Query() query: Record<string, unknown>): Promise<AlertsPage> {
    return this.findings.list(parseAlertsQuery(query));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One finding, with its capture id' })
  @ApiParam({ name: 'id', description: 'finding id: 32 hex characters' })
  @ApiResponse({ status: 200, schema: ALERT_SCHEMA })
  @ApiResponse({ status: 400, description: 'not a finding id', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 404, description: 'no such finding', schema: ERROR_SCHEMA })
  async one(@Param('id') id: string): Promise<Finding & { captureId: string }> {
    const found = await this.findings.one(checkedId(id));
    if (found === null) throw new NotFoundException(`no finding ${id}`);
    return { ...found.doc, captureId: found.captureId };
  }

  @Get(':id/pcap')
  @ApiOperation({
    summary: "The finding's evidence packets as a classic pcap (raw packets: analyst or admin)",
    description:
      'The frames of evidence.frames, in capture order, with their original timestamps (nanosecond pcap when the capture had nanoseconds). 409 when the frames come from interfaces of different link types (a classic pcap holds one).',
  })
  @ApiParam({ name: 'id', description: 'finding id: 32 hex characters' })
  @ApiProduces('application/vnd.tcpdump.pcap')
  @ApiResponse({
    status: 200,
    description: 'pcap file (attachment finding-<id>.pcap)',
    schema: { type: 'string', format: 'binary' },
  })
  @ApiResponse({ status: 404, description: 'no such finding, or its capture files are gone', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 409, description: 'evidence spans several link types', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 422, description: 'evidence larger than the export limit (64 MiB)', schema: ERROR_SCHEMA })
  async pcap(@Param('id') id: string): Promise<StreamableFile> {
    const found = await this.findings.one(checkedId(id));
    if (found === null) throw new NotFoundException(`no finding ${id}`);
    const chunks = await this.findings.chunks(found.captureId);
    const dir = join(this.settings.dataDir, 'captures', found.captureId);
    let pieces: Buffer[];
    try {
      pieces = evidencePcap(await readEvidencePackets(dir, chunks, found.doc.evidence.frames));
    } catch (err) {
      if (err instanceof EvidenceError) {
        if (err.kind === 'mixed-link-types') throw new ConflictException(err.message);
        if (err.kind === 'too-large') throw new UnprocessableEntityException(err.message);
        throw new NotFoundException(`evidence of finding ${id} is not available: ${err.message}`);
      }
      throw err;
    }
    return new StreamableFile(Readable.from(pieces), {
      type: 'application/vnd.tcpdump.pcap',
      // The id is 32 checked hex characters: the file name needs no escaping.
      disposition: `attachment; filename="finding-${id}.pcap"`,
      length: pieces.reduce((n, p) => n + p.length, 0),
    });
  }
}

function checkedId(id: string): string {
  if (!FINDING_ID.test(id)) throw new BadRequestException('a finding id is 32 lowercase hex characters');
  return id;
}
