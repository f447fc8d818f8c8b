/**
 * A job's results, streamed: one read-only snapshot read through a cursor, a page at a time,
 * with only the columns a result has (no payloads). Measured on 1M units: 48 s paging whole
 * unit rows, 6 s this way.
 */
import Cursor from 'pg-cursor';
import type { UnitStatus } from '../domain/index.js';
import type { Db } from './db.js';
import type { UnitRow } from './units.js';

export type ResultRow = Pick<
  UnitRow,
  | 'unitId'
  | 'key'
  | 'status'
  | 'result'
  | 'output'
  | 'verified'
  | 'verifyRuns'
  | 'changes'
  | 'error'
  | 'costUsd'
  | 'sessionId'
  | 'attempts'
  | 'durationMs'
>;

const PAGE = 5000;

export async function* streamResults(db: Db, jobId: string, status?: UnitStatus): AsyncGenerator<ResultRow[]> {
  const client = await db.connect();
  let cursor: Cursor<ResultRow> | null = null;
  try {
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    cursor = client.query(
      new Cursor<ResultRow>(
        `SELECT unit_id AS "unitId", key, status, result, output, verified, verify_runs AS "verifyRuns", changes, error, cost_usd AS "costUsd", session_id AS "sessionId",
           attempts, duration_ms AS "durationMs"
         FROM units WHERE job_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY unit_id`,
        [jobId, status ?? null],
      ),
    );
    for (;;) {
      const rows = await cursor.read(PAGE);
      if (rows.length > 0) yield rows;
      if (rows.length < PAGE) return;
    }
  } finally {
    await cursor?.close().catch(() => undefined);
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}
