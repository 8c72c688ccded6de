import { BadRequestException } from '@nestjs/common';
import { CAPTURE_STATUSES, type CaptureStatus } from './capture.entity';

/** `GET /captures` paging and filter, validated (400 with a reason). */
export interface CaptureListQuery {
  page: number;
  limit: number;
  status: CaptureStatus | null;
}

export const MAX_PAGE_LIMIT = 200;

function positiveInt(query: Record<string, unknown>, key: string, fallback: number, max: number): number {
  const raw = query[key];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new BadRequestException(`query parameter ${key} must be an integer from 1 to ${max}`);
  }
  return Number(raw);
}

export function parseCaptureListQuery(query: Record<string, unknown>): CaptureListQuery {
  const status = query.status;
  if (
    status !== undefined &&
    (typeof status !== 'string' || !(CAPTURE_STATUSES as readonly string[]).includes(status))
  ) {
    throw new BadRequestException(`query parameter status must be one of ${CAPTURE_STATUSES.join(', ')}`);
  }
  return {
    page: positiveInt(query, 'page', 1, 1_000_000),
    limit: positiveInt(query, 'limit', 50, MAX_PAGE_LIMIT),
    status: (status as CaptureStatus | undefined) ?? null,
  };
}
