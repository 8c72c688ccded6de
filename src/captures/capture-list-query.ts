import { QueryParamError, intParam, rejectUnknownParams, singleParam } from '../http/query-params';
import { CAPTURE_STATUSES, type CaptureStatus } from './capture.entity';

/** `GET /captures` paging and filter, validated (400 with a reason). */
export interface CaptureListQuery {
  page: number;
  limit: number;
  status: CaptureStatus | null;
}

export const MAX_PAGE_LIMIT = 200;

export function parseCaptureListQuery(query: Record<string, unknown>): CaptureListQuery {
  rejectUnknownParams(query, ['page', 'limit', 'status']);
  const status = singleParam(query, 'status');
  if (status !== null && !(CAPTURE_STATUSES as readonly string[]).includes(status))
    throw new QueryParamError(`status: one of ${CAPTURE_STATUSES.join(', ')}`);
  return {
    page: intParam(singleParam(query, 'page'), 'page', 1, 1, 1_000_000),
    limit: intParam(singleParam(query, 'limit'), 'limit', 50, 1, MAX_PAGE_LIMIT),
    status: status as CaptureStatus | null,
  };
}
