import type { ValueTransformer } from 'typeorm';

/**
 * PostgreSQL bigint arrives as a string (it can exceed 2^53); our counters (packets, bytes,
 * frames) stay far below that, so they are numbers in the entities.
 */
export const bigintNumber: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | null) => (v === null || v === undefined ? v : Number(v)),
};
