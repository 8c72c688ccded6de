/**
 * The rows of a raw `… RETURNING` query: pg answers an UPDATE … RETURNING through TypeORM's
 * query() as [rows, affected count], an INSERT … RETURNING as the rows.
 */
export function returningRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return Array.isArray(result) ? (result as T[]) : [];
}
