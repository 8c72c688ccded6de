import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CaptureEntity } from '../captures/capture.entity';
import { listInterfaces, type LiveInterface } from './interface-list';
import { liveHttpError } from './live-errors';
import { LiveSessionEntity } from './live-session.entity';
import { LiveSessionsService } from './live-sessions.service';
import { liveSessionView, type LiveSessionView } from './live-view';
import { parseStartLiveRequest } from './start-live-request';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => new BadRequestException('the live session id must be a UUID'),
});

/**
 * Live capture API: which interfaces there are, start a session (admin: it captures the traffic
 * of a host's network), its status (libpcap counters, drops, how far analysis is behind), stop.
 * A session's findings are those of its capture (`/alerts?capture=<captureId>`, `/events`).
 */
@ApiTags('live')
@ApiSecurity('api-key')
@Controller('live')
export class LiveController {
  constructor(
    private readonly sessions: LiveSessionsService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  @Get('interfaces')
  @ApiOperation({ summary: 'Interfaces libpcap can capture on, with their addresses' })
  interfaces(): { interfaces: LiveInterface[] } {
    try {
      return { interfaces: listInterfaces() };
    } catch (err) {
      throw liveHttpError(err);
    }
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Start capturing on an interface',
    description:
      'Body: {"interface": "eth0", "filter": "not port 22", "snaplen", "promiscuous", "chunkMs", "chunkPackets", "chunkBytes", "detectors": [...], "name"}. ' +
      '400 no such interface / invalid filter (libpcap says why), 409 already captured, 503 no permission or libpcap missing.',
  })
  async start(@Body() body: unknown): Promise<LiveSessionView> {
    const req = parseStartLiveRequest(body);
    try {
      const s = await this.sessions.start(req);
      return this.view(s);
    } catch (err) {
      throw liveHttpError(err);
    }
  }

  @Get()
  @ApiOperation({ summary: 'Live sessions, newest first (at most 200)' })
  async list(): Promise<{ sessions: LiveSessionView[] }> {
    const rows = await this.db.getRepository(LiveSessionEntity).find({ order: { createdAt: 'DESC' }, take: 200 });
    return { sessions: await Promise.all(rows.map((s) => this.view(s))) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A live session: counters, libpcap drops, chunks queued, lag' })
  async get(@Param('id', uuid) id: string): Promise<LiveSessionView> {
    const s = await this.sessions.get(id);
    if (!s) throw new NotFoundException('no such live session');
    return this.view(s);
  }

  @Post(':id/stop')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stop a live session; its capture is then analysed to the end',
    description: 'status "stopping" when another API process runs it: it stops within about a second.',
  })
  async stop(@Param('id', uuid) id: string): Promise<LiveSessionView> {
    const s = await this.sessions.stop(id);
    if (!s) throw new NotFoundException('no such live session');
    return this.view(s);
  }

  private async view(s: LiveSessionEntity): Promise<LiveSessionView> {
    const capture = await this.db.getRepository(CaptureEntity).findOne({
      select: ['id', 'status', 'chunksDone', 'chunksTotal', 'lastSeen', 'packets'],
      where: { id: s.captureId },
    });
    return liveSessionView(s, capture, this.sessions.liveCounters(s.id));
  }
}
