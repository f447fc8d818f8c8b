/** Units: one row per work item, its payload and its final outcome. */
import type { UnitChanges, UnitOutcomeStatus, UnitRef, UnitStatus, VerifyRun } from '../domain/index.js';
import type { Db } from './db.js';
import { held } from './fence.js';
import { pgJson, pgJsonOrNull, pgText } from './pgSafe.js';

export interface UnitRow {
  jobId: string;
  unitId: number;
  key: string;
  payload: Record<string, unknown>;
  /** Where the source had it: "line 7 of products.csv". */
  origin: string | null;
  status: UnitStatus;
  templateVersion: number | null;
  result: string | null;
  /** The unit's structured output, when its spec asks for one. */
  output: unknown;
  /** With a verify step: did the last check pass, and every check run in order (else null). */
  verified: boolean | null;
  verifyRuns: VerifyRun[] | null;
  /** With isolation: the unit's branch and commit, or that it changed nothing (else null). */
  changes: UnitChanges | null;
  error: string | null;
  costUsd: number;
  sessionId: string | null;
  attempts: number;
  durationMs: number | null;
  updatedAt: Date;
}

/** The columns of a UnitRow, of the table aliased `t` (`'u.'`) or of `units` (`''`). */
export const unitColumns = (t = ''): string =>
  `${t}job_id AS "jobId", ${t}unit_id AS "unitId", ${t}key, ${t}payload, ${t}origin, ${t}status,
  ${t}template_version AS "templateVersion", ${t}result, ${t}output, ${t}verified, ${t}verify_runs AS "verifyRuns",
  ${t}changes, ${t}error, ${t}cost_usd AS "costUsd", ${t}session_id AS "sessionId", ${t}attempts,
  ${t}duration_ms AS "durationMs", ${t}updated_at AS "updatedAt"`;
const UNIT_COLUMNS = unitColumns();

/** The next pending units after a cursor, in unit order: what the job starts next. */
export async function pagePendingUnits(db: Db, jobId: string, afterUnitId: number, limit: number): Promise<UnitRef[]> {
  const { rows } = await db.query<UnitRef>(
    `SELECT unit_id AS "unitId", key FROM units
     WHERE job_id = $1 AND unit_id > $2 AND status = 'pending' ORDER BY unit_id LIMIT $3`,
    [jobId, afterUnitId, limit],
  );
  return rows;
}

export async function getUnit(db: Db, jobId: string, unitId: number): Promise<UnitRow | null> {
  const { rows } = await db.query<UnitRow>(`SELECT ${UNIT_COLUMNS} FROM units WHERE job_id = $1 AND unit_id = $2`, [
    jobId,
    unitId,
  ]);
  return rows[0] ?? null;
}

/** Several units of a job at once (a group about to run). */
export async function getUnits(db: Db, jobId: string, unitIds: readonly number[]): Promise<UnitRow[]> {
  const { rows } = await db.query<UnitRow>(
    `SELECT ${UNIT_COLUMNS} FROM units WHERE job_id = $1 AND unit_id = ANY($2::int[])`,
    [jobId, unitIds],
  );
  return rows;
}

export async function findUnit(db: Db, jobId: string, idOrKey: string): Promise<UnitRow | null> {
  const { rows } = await db.query<UnitRow>(
    `SELECT ${UNIT_COLUMNS} FROM units WHERE job_id = $1 AND (key = $2 OR ($2 ~ '^[0-9]{1,9}$' AND unit_id = $2::int))
     ORDER BY key = $2 DESC LIMIT 1`,
    [jobId, idOrKey],
  );
  return rows[0] ?? null;
}

export interface UnitCompletion {
  runKey: string;
  result: string | null;
  sessionId: string | null;
  output?: unknown;
  /** A worktree unit's commit, or that it changed nothing. */
  changes?: UnitChanges | null;
}

/**
 * What a unit's recorded attempts spent (job $1, unit $2): in all (`total`), and in the run whose
 * key is the parameter `runKey` (`run`, `run_attempts`, `run_duration`), leaving out the attempt
 * whose id is the parameter `exclude`, when given (one being finished in the same statement).
 */
export const spentOnUnit = (runKey: string, exclude?: string): string =>
  `SELECT coalesce(sum(cost_usd), 0) AS total,
          coalesce(sum(cost_usd) FILTER (WHERE run_key = ${runKey}), 0) AS run,
          count(*) FILTER (WHERE run_key = ${runKey}) AS run_attempts,
          coalesce(sum(duration_ms) FILTER (WHERE run_key = ${runKey}), 0) AS run_duration
   FROM attempts WHERE job_id = $1 AND unit_id = $2${exclude ? ` AND id <> ${exclude}` : ''}`;

/**
 * An attempt settles its unit succeeded, if it still holds it (its `fence`). Its cost is
 * everything ever spent on it; the returned cost is what this run spent, which is what the job
 * adds to its total.
 */
export async function completeUnit(
  db: Db,
  jobId: string,
  unitId: number,
  fence: number,
  completion: UnitCompletion,
): Promise<{ runCostUsd: number }> {
  const { rows } = await db.query<{ runCostUsd: number }>(
    `WITH spent AS (${spentOnUnit('$3')}),
     unit AS (
       UPDATE units SET status = 'succeeded', result = coalesce($4, result), error = NULL,
         session_id = coalesce($5, session_id), output = coalesce($6::jsonb, output),
         changes = coalesce($7::jsonb, changes), cost_usd = spent.total, attempts = spent.run_attempts,
         duration_ms = spent.run_duration, updated_at = now()
       FROM spent WHERE job_id = $1 AND unit_id = $2 AND ${held('$8')})
     SELECT run::float8 AS "runCostUsd" FROM spent`,
    [
      jobId,
      unitId,
      completion.runKey,
      pgText(completion.result),
      completion.sessionId,
      pgJsonOrNull(completion.output),
      pgJsonOrNull(completion.changes ?? null),
      fence,
    ],
  );
  return { runCostUsd: Number(rows[0]?.runCostUsd ?? 0) };
}

/**
 * The job settles a unit whose execution ended (its activity failed, was cancelled, or did not
 * report): `status`, unless an attempt of this run succeeded (recorded by a group that then
 * failed), which stands. A settled unit keeps its state. Raises the fence, so no attempt still
 * out there writes it after. Returns how the unit stands and what this run spent on it.
 */
export async function settleUnit(
  db: Db,
  jobId: string,
  unitId: number,
  settlement: { runKey: string; status: Exclude<UnitOutcomeStatus, 'succeeded'>; error: string | null },
): Promise<{ status: UnitOutcomeStatus; runCostUsd: number }> {
  const { rows } = await db.query<{ status: UnitOutcomeStatus; runCostUsd: number }>(
    `WITH spent AS (${spentOnUnit('$3')}),
     success AS (
       SELECT result, session_id, output, changes FROM attempts
       WHERE run_key = $3 AND unit_id = $2 AND finished_at IS NOT NULL AND error_type IS NULL
       ORDER BY id DESC LIMIT 1),
     unit AS (
       UPDATE units SET fence = units.fence + 1, updated_at = now(),
         status = CASE WHEN EXISTS (SELECT 1 FROM success) THEN 'succeeded' ELSE $4 END,
         error = CASE WHEN EXISTS (SELECT 1 FROM success) THEN NULL ELSE $5 END,
         result = coalesce((SELECT result FROM success), units.result),
         session_id = coalesce((SELECT session_id FROM success), units.session_id),
         output = coalesce((SELECT output FROM success), units.output),
         changes = coalesce((SELECT changes FROM success), units.changes),
         cost_usd = spent.total, attempts = spent.run_attempts, duration_ms = spent.run_duration
       FROM spent WHERE job_id = $1 AND unit_id = $2 AND status IN ('pending', 'running')
       RETURNING units.status)
     SELECT coalesce((SELECT status FROM unit), (SELECT status FROM units WHERE job_id = $1 AND unit_id = $2), $4) AS status,
       (SELECT run FROM spent)::float8 AS "runCostUsd"`,
    [jobId, unitId, settlement.runKey, settlement.status, pgText(settlement.error)],
  );
  return { status: rows[0]!.status, runCostUsd: Number(rows[0]!.runCostUsd) };
}

/** A verify run is over: append it to the unit's (if the attempt still holds it), which passed if it did. */
export async function recordVerifyRun(
  db: Db,
  jobId: string,
  unitId: number,
  fence: number,
  run: VerifyRun,
): Promise<void> {
  await db.query(
    `UPDATE units SET verify_runs = coalesce(verify_runs, '[]'::jsonb) || jsonb_build_array($3::jsonb),
       verified = ($3::jsonb->>'exitCode') = '0', updated_at = now()
     WHERE job_id = $1 AND unit_id = $2 AND ${held('$4')}`,
    [jobId, unitId, pgJson(run), fence],
  );
}

/** Put units back to pending (a rejected or failed test run), keeping what was spent on them. */
export async function resetUnits(db: Db, jobId: string, unitIds: readonly number[]): Promise<void> {
  await db.query(
    `UPDATE units SET status = 'pending', result = NULL, output = NULL, verified = NULL, verify_runs = NULL, changes = NULL,
       error = NULL, fence = fence + 1, updated_at = now()
     WHERE job_id = $1 AND unit_id = ANY($2::int[])`,
    [jobId, unitIds],
  );
}

/**
 * When a job is cancelled or expires, a slice at a time: the unsettled units among ids `from` to
 * `to` end `status`. Unit ids are 1…total, so slices walk the primary key; one statement over a
 * million units took 27 s, beyond what a local activity should take. Idempotent: a local activity
 * may run again when its workflow task is retried.
 */
export async function endUnfinishedUnits(
  db: Db,
  jobId: string,
  status: 'cancelled' | 'expired',
  from: number,
  to: number,
): Promise<void> {
  await db.query(
    `UPDATE units SET status = $4, error = coalesce(error, $5), fence = fence + 1, updated_at = now()
     WHERE job_id = $1 AND unit_id BETWEEN $2 AND $3 AND status IN ('pending', 'running')`,
    [jobId, from, to, status, `job ${status}`],
  );
}

/**
 * `retry`, a slice at a time like cancellation: the units among ids `from` to `to` in one of
 * `statuses` go back to pending, their last outcome cleared (their attempts stay on record).
 */
export async function resetUnitsWithStatus(
  db: Db,
  jobId: string,
  statuses: readonly UnitOutcomeStatus[],
  from: number,
  to: number,
): Promise<void> {
  await db.query(
    `UPDATE units SET status = 'pending', result = NULL, error = NULL, fence = fence + 1, updated_at = now()
     WHERE job_id = $1 AND unit_id BETWEEN $2 AND $3 AND status = ANY($4::text[])`,
    [jobId, from, to, statuses],
  );
}

/**
 * When a job ends: a unit still pending or running (none should be: the job settled every unit
 * it started) fails as never settled, so Postgres and the job agree. Returns how many did.
 */
export async function failUnsettledUnits(db: Db, jobId: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE units SET status = 'failed', error = 'the job ended without this unit settling', fence = fence + 1,
       updated_at = now()
     WHERE job_id = $1 AND status IN ('pending', 'running')`,
    [jobId],
  );
  return rowCount ?? 0;
}

export async function countUnits(db: Db, jobId: string, status: UnitStatus): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM units WHERE job_id = $1 AND status = $2',
    [jobId, status],
  );
  return rows[0]!.n;
}

/** Units by status and everything spent on them: Postgres' own view of a job's progress. */
export async function unitTotals(
  db: Db,
  jobId: string,
): Promise<{ counts: Record<UnitStatus, number>; costUsd: number }> {
  const { rows } = await db.query<{ status: UnitStatus; n: number; cost: number }>(
    'SELECT status, count(*)::int AS n, sum(cost_usd) AS cost FROM units WHERE job_id = $1 GROUP BY status',
    [jobId],
  );
  const counts: Record<UnitStatus, number> = {
    pending: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    expired: 0,
  };
  let costUsd = 0;
  for (const r of rows) {
    counts[r.status] = r.n;
    costUsd += r.cost;
  }
  return { counts, costUsd };
}

/**
 * The first unit of the job whose record lacks one of `fields` (a field by its exact name, or by
 * its dotted path; a JSON null counts as present), or null: checks a revised prompt against the
 * stored records without reading them into memory.
 */
export async function firstUnitMissing(
  db: Db,
  jobId: string,
  fields: readonly string[],
): Promise<{ field: string; record: string } | null> {
  if (fields.length === 0) return null;
  const { rows } = await db.query<{ field: string; record: string }>(
    `SELECT f.name AS field, coalesce(u.origin, u.key) AS record FROM units u CROSS JOIN unnest($2::text[]) WITH ORDINALITY AS f(name, ord)
     WHERE u.job_id = $1 AND NOT (u.payload::jsonb ? f.name) AND u.payload #> string_to_array(f.name, '.') IS NULL
     ORDER BY u.unit_id, f.ord LIMIT 1`,
    [jobId, fields],
  );
  return rows[0] ?? null;
}

/** What this run of the unit spent (a unit settled by an earlier attempt of the run). */
export async function spentInRun(db: Db, jobId: string, unitId: number, runKey: string): Promise<number> {
  const { rows } = await db.query<{ run: number }>(`SELECT run::float8 AS run FROM (${spentOnUnit('$3')}) spent`, [
    jobId,
    unitId,
    runKey,
  ]);
  return Number(rows[0]?.run ?? 0);
}
