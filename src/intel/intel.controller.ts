import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Res,
} from '@nestjs/common';
import { FeedConfigError, restoreRedacted, validateFeed } from './feed-config';
import { IntelService, type FeedStatus } from './intel.service';
import type { FeedUpdateResult } from './intel-feeds';

type Result = Omit<FeedUpdateResult, 'badSample'>;

function publicResult(r: FeedUpdateResult): Result {
  const out: Partial<FeedUpdateResult> = { ...r };
  delete out.badSample;
  return out as Result;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Intel feed management (API key or JWT, see AccessGuard; changes need admin, reading any key):
 * GET /intel/feeds (with the index's counts and version, as captures' intelVersion names it) · POST /intel/feeds (add or replace one feed, fetched at once) ·
 * DELETE /intel/feeds/:name · POST /intel/feeds/:name/refresh.
 * Feeds added here must be http(s) URLs: a local path or file:// URL would let an API caller make
 * the server read its own files; local feeds belong in the feeds file.
 * Answers show feeds redacted (publicFeed). A POSTed url or header value holding `***` is kept as
 * stored when it equals the stored value as shown (a client sending back what it read), otherwise
 * refused (400): a redacted secret cannot round-trip.
 */
@Controller('intel/feeds')
export class IntelController {
  constructor(private readonly intel: IntelService) {}

  @Get()
  list(): { feeds: FeedStatus[]; index: ReturnType<IntelService['counts']>; version: string } {
    return { feeds: this.intel.list(), index: this.intel.counts(), version: this.intel.version() };
  }

  @Post()
  async upsert(
    @Body() body: unknown,
    @Res({ passthrough: true }) res: { status(code: number): unknown },
  ): Promise<{ feed: FeedStatus; result: Result }> {
    let feed;
    try {
      feed = restoreRedacted(validateFeed(body), this.intel.config((body as { name?: unknown }).name as string));
    } catch (err) {
      if (err instanceof FeedConfigError) throw new BadRequestException(err.message);
      throw err;
    }
    if (feed.path !== undefined || feed.url?.startsWith('file:'))
      throw new BadRequestException(
        'feeds added through the API must use an http or https url (local feeds go in the feeds file)',
      );
    const { created, result } = await this.intel.upsert(feed);
    res.status(created ? 201 : 200);
    return { feed: this.intel.status(feed.name)!, result: publicResult(result) };
  }

  @Delete(':name')
  @HttpCode(200)
  remove(@Param('name') name: string): { deleted: string } {
    if (!NAME.test(name) || !this.intel.remove(name))
      throw new NotFoundException(`no feed named ${JSON.stringify(name.slice(0, 64))}`);
    return { deleted: name };
  }

  @Post(':name/refresh')
  @HttpCode(200)
  async refresh(@Param('name') name: string): Promise<{ feed: FeedStatus; result: Result }> {
    if (!NAME.test(name) || this.intel.status(name) === undefined)
      throw new NotFoundException(`no feed named ${JSON.stringify(name.slice(0, 64))}`);
    const result = await this.intel.refresh(name);
    return { feed: this.intel.status(name)!, result: publicResult(result) };
  }
}
