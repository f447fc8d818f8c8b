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

/** How a page of results is ordered: by unit, or most expensive / longest first. */
export type ResultSort = 'unit' | 'cost' | 'duration';

/** Where a sorted page starts: after this unit, whose sort value was `value`. */
export interface ResultPosition {
  value: number;
  unitId: number;
}

/** The sort's value: a unit not run yet has no duration and sorts last. */
const SORT_VALUE: Record<Exclude<ResultSort, 'unit'>, string> = {
  cost: 'cost_usd',
  duration: 'COALESCE(duration_ms, -1)',
};

/**
 * One page of a job's results (keyset paging: as quick on page 1,000 as on page 1), in a status
 * and with keys containing `q` if given. Sorted by cost or duration, the job's units are sorted
 * in Postgres without an index (one top-N sort; an index on them would slow every unit's update).
 */
export async function pageResults(
  db: Db,
  jobId: string,
  page: { status?: UnitStatus; q?: string; sort: ResultSort; after: ResultPosition | null; limit: number },
): Promise<(ResultRow & { sortValue: number })[]> {
  const value = page.sort === 'unit' ? 'unit_id' : SORT_VALUE[page.sort];
  const after =
    page.after === null
      ? 'TRUE'
      : page.sort === 'unit'
        ? 'unit_id > $5'
        : `(${value} < $4 OR (${value} = $4 AND unit_id > $5))`;
  const order = page.sort === 'unit' ? 'unit_id' : `${value} DESC, unit_id`;
  const { rows } = await db.query<ResultRow & { sortValue: number }>(
    `SELECT ${RESULT_SELECT}, ${value}::float8 AS "sortValue" FROM units
     WHERE job_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR key ILIKE $3)
       AND ($4::float8 IS NULL OR $5::int IS NULL OR ${after})
     ORDER BY ${order} LIMIT $6`,
    [jobId, page.status ?? null, containing(page.q), page.after?.value ?? null, page.after?.unitId ?? null, page.limit],
  );
  return rows;
}

/**
 * Attempts finished and their cost, in `buckets` equal spans from the first attempt's end to
 * the last's (each bucket dated by its end); `start` is null before any attempt ended.
 */
export async function costTimeline(
  db: Db,
  jobId: string,
  buckets: number,
): Promise<{ start: Date | null; buckets: { at: Date; attempts: number; costUsd: number }[] }> {
  const { rows } = await db.query<{ start: Date; at: Date; attempts: number; costUsd: number }>(
    `WITH a AS (SELECT extract(epoch FROM finished_at) AS t, cost_usd FROM attempts
                WHERE job_id = $1 AND finished_at IS NOT NULL),
          span AS (SELECT min(t) AS lo, max(t) AS hi FROM a)
     SELECT to_timestamp(span.lo) AS start,
            to_timestamp(span.lo + (span.hi - span.lo) * LEAST(b, $2)::float8 / $2) AS at,
            count(*)::int AS attempts, sum(a.cost_usd)::float8 AS "costUsd"
     FROM a, span, LATERAL width_bucket(a.t, span.lo, span.hi + 0.001, $2) AS b
     GROUP BY b, span.lo, span.hi ORDER BY b`,
    [jobId, buckets],
  );
  return {
    start: rows[0]?.start ?? null,
    buckets: rows.map(({ at, attempts, costUsd }) => ({ at, attempts, costUsd })),
  };
}

export function streamResults(db: Db, jobId: string, status?: UnitStatus): AsyncGenerator<ResultRow[]> {
  return snapshotPages<ResultRow>(
    db,
    `SELECT ${RESULT_SELECT} FROM units WHERE job_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY unit_id`,
    [jobId, status ?? null],
    PAGE,
  );
}
