import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Upserts many rows inside the caller's transaction: COPY into a session-private staging table,
 * then one `INSERT … SELECT … ON CONFLICT … DO UPDATE`. Packet text never becomes SQL: it travels
 * as COPY data, escaped for COPY's text format, and the statements themselves are fixed.
 *
 * Why not an INSERT with parameters: a worker persists tens of thousands of flow rows per 16 MiB
 * chunk of scan or flood traffic. TypeORM's insert builder spent 43 % of the time naming and
 * escaping one parameter per value (~2 s a chunk); one array parameter per column (unnest) halved
 * that; COPY halves the database's share again (numbers in the issue 6 note).
 *
 * `rows` are keyed by entity property names; every row must have the same properties. Within one
 * call the last row of a key wins (ON CONFLICT may not touch a row twice in one statement).
 */
interface ColumnPlan {
  property: string;
  column: string;
  kind: 'json' | 'bytea' | 'bool' | 'plain';
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** One value in COPY text format: \N for null, backslash escapes for the separators. */
function copyValue(v: unknown, kind: ColumnPlan['kind']): string {
  if (v === null || v === undefined) return '\\N';
  let s: string;
  if (kind === 'json') s = JSON.stringify(v);
  else if (kind === 'bytea') return `\\\\x${(v as Buffer).toString('hex')}`;
  else if (kind === 'bool') return v ? 't' : 'f';
  else if (typeof v === 'number') return String(v);
  else if (v instanceof Date) s = v.toISOString();
  else s = String(v);
  // NUL cannot be stored in text (callers use pgText); the rest is COPY's escaping.
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

async function* copyLines(rows: ReadonlyArray<Record<string, unknown>>, plan: ColumnPlan[]): AsyncGenerator<string> {
  let buf = '';
  for (const r of rows) {
    let line = '';
    for (let i = 0; i < plan.length; i++) {
      if (i > 0) line += '\t';
      line += copyValue(r[plan[i].property], plan[i].kind);
    }
    buf += `${line}\n`;
    if (buf.length > 256 * 1024) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

export async function bulkUpsert<E extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<E>,
  keys: readonly string[],
  rows: ReadonlyArray<Record<string, unknown>>,
): Promise<void> {
  if (rows.length === 0) return;
  const runner = manager.queryRunner;
  // The staging table lives on one connection: outside a transaction, make one.
  if (!runner || !runner.isTransactionActive) return manager.transaction((tx) => bulkUpsert(tx, entity, keys, rows));
  const meta = manager.connection.getMetadata(entity);
  const driver = manager.connection.driver;
  const plan: ColumnPlan[] = Object.keys(rows[0]).map((property) => {
    const col = meta.findColumnWithPropertyName(property);
    if (!col) throw new Error(`bulkUpsert: ${meta.tableName} has no column for property ${property}`);
    const type = driver.normalizeType(col);
    const kind =
      type === 'json' || type === 'jsonb' ? 'json' : type === 'bytea' ? 'bytea' : type === 'boolean' ? 'bool' : 'plain';
    return { property, column: col.databaseName, kind };
  });
  const keyColumns = keys.map((k) => {
    const p = plan.find((c) => c.property === k);
    if (!p) throw new Error(`bulkUpsert: key ${k} is not among the row's properties`);
    return p.column;
  });

  const byKey = new Map<string, Record<string, unknown>>();
  for (const r of rows) byKey.set(JSON.stringify(keys.map((k) => r[k])), r);

  const table = quote(meta.tableName);
  // Session-private, emptied at every commit: each pooled connection keeps its own, made once.
  const stage = quote(`nw_stage_${meta.tableName}`);
  const columns = plan.map((c) => quote(c.column)).join(', ');
  const updates = plan
    .filter((c) => !keyColumns.includes(c.column))
    .map((c) => `${quote(c.column)} = EXCLUDED.${quote(c.column)}`)
    .join(', ');
  await runner.query(
    `CREATE TEMP TABLE IF NOT EXISTS ${stage} (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`,
  );
  await runner.query(`TRUNCATE ${stage}`);
  const client = (await runner.connect()) as PoolClient;
  await pipeline(
    Readable.from(copyLines([...byKey.values()], plan)),
    client.query(copyFrom(`COPY ${stage} (${columns}) FROM STDIN`)),
  );
  await runner.query(
    `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${stage} ` +
      `ON CONFLICT (${keyColumns.map(quote).join(', ')}) ` +
      (updates ? `DO UPDATE SET ${updates}` : 'DO NOTHING'),
  );
}
