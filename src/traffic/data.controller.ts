import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { DataService, type DataPage } from './data.service';
import { DATA_KINDS, MAX_LIMIT, SORT_FIELDS, parseDataQuery } from './traffic-params';

/** GET /data: the traffic summary of a capture (or of all captures), one table at a time, paged. */
@ApiTags('traffic')
@Controller('data')
export class DataController {
  constructor(private readonly data: DataService) {}

  @Get()
  @ApiOperation({
    summary: 'Flows, hosts, TLS servers/certificates or masked credentials seen in a capture, paged',
  })
  @ApiQuery({ name: 'capture', required: false, description: 'Capture id (UUID); all captures when absent' })
  @ApiQuery({ name: 'kind', required: false, enum: DATA_KINDS, description: 'Which table (default flows)' })
  @ApiQuery({ name: 'page', required: false, type: Number, description: 'From 1 (default 1)' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: `Rows per page, 1–${MAX_LIMIT} (default 50)` })
  @ApiQuery({
    name: 'sort',
    required: false,
    description: `Field, '-' prefix for descending. flows: ${SORT_FIELDS.flows.join(', ')}; hosts: ${SORT_FIELDS.hosts.join(', ')}; tls: ${SORT_FIELDS.tls.join(', ')}; credentials: ${SORT_FIELDS.credentials.join(', ')}`,
  })
  @ApiQuery({ name: 'ip', required: false, description: 'Only rows with this address (either side of a flow)' })
  @ApiOkResponse({ description: '{ capture, kind, page, limit, total, items }' })
  @ApiBadRequestResponse({ description: 'A parameter is malformed or unknown' })
  @ApiNotFoundResponse({ description: 'No such capture' })
  async list(@Query() query: Record<string, unknown>): Promise<DataPage> {
    return this.data.page(parseDataQuery(query));
  }
}
