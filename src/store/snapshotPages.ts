/**
 * A query's rows, a page at a time, from one read-only snapshot through a cursor: a million rows
 * are never held at once, and every page sees the same moment of the data.
 */
import Cursor from 'pg-cursor';
import type { Db } from './db.js';

export async function* snapshotPages<T extends object>(
  db: Db,
  sql: string,
  params: unknown[],
  pageSize: number,
): AsyncGenerator<T[]> {
  const client = await db.connect();
  let cursor: Cursor<T> | null = null;
  try {
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    cursor = client.query(new Cursor<T>(sql, params));
    for (;;) {
      const rows = await cursor.read(pageSize);
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
    }
  } finally {
    await cursor?.close().catch(() => undefined);
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}
