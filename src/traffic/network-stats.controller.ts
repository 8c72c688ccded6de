import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { DataService } from './data.service';
import { NetworkStatsService, type NetworkStats } from './network-stats.service';
import { parseStatsQuery } from './traffic-params';

/** GET /network_stats: totals, protocol mix, top talkers, findings per severity, traffic per minute. */
@ApiTags('traffic')
@Controller('network_stats')
export class NetworkStatsController {
  constructor(
    private readonly stats: NetworkStatsService,
    private readonly data: DataService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Traffic statistics of a capture, or of all captures' })
  @ApiQuery({ name: 'capture', required: false, description: 'Capture id (UUID); all captures when absent' })
  @ApiQuery({ name: 'from', required: false, description: 'Packet time, ISO-8601 or epoch seconds' })
  @ApiQuery({ name: 'to', required: false, description: 'Packet time, ISO-8601 or epoch seconds' })
  @ApiOkResponse({
    description:
      '{ totals: {packets, bytes, flows, hosts, firstSeen, lastSeen}, protocols, apps, topTalkers, findingsBySeverity, overTime }',
  })
  @ApiBadRequestResponse({ description: 'A parameter is malformed or unknown' })
  @ApiNotFoundResponse({ description: 'No such capture' })
  async get(@Query() query: Record<string, unknown>): Promise<NetworkStats> {
    const q = parseStatsQuery(query);
    await this.data.assertCapture(q.capture);
    return this.stats.stats(q);
  }
}
