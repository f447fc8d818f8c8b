/**
 * Agent attempts (their conversations: events.ts). An attempt writes its unit only while it holds
 * the unit's fence (claims.ts); a stale attempt's row is still recorded — what it spent was spent
 * — but a success of it is recorded as `Superseded`, never taken for the unit's.
 */
import type { AttemptReport, Phase, UnitChanges } from '../domain/index.js';
import type { Db } from './db.js';
import type { TimedEvent } from './events.js';
import { held } from './fence.js';
import { pgJson, pgJsonOrNull, pgText } from './pgSafe.js';
import { spentOnUnit } from './units.js';

export type { TimedEvent };

/** The error type of a success that came too late: another attempt had taken the unit over, or it had settled. */
export const SUPERSEDED = 'Superseded';
export const SUPERSEDED_MESSAGE =
  'another attempt took the unit over (or the job settled it) before this one ended: its result was not used';

export interface NewAttempt {
  jobId: string;
  unitId: number;
  attempt: number;
  templateVersion: number;
  phase: Phase;
  runKey: string;
  prompt: string;
  /** When the attempt began (epoch ms); its row may be written later. */
  startedAt: number;
  /** The attempt's claim on its unit (claims.ts). */
  fence: number;
}

/** What the adapter reported, and how the process and the attempt ended. */
export interface AttemptOutcome extends Omit<AttemptReport, 'durationMs'> {
  durationMs: number;
  exitCode: number | null;
  errorType: string | null;
  error: string | null;
  stderrTail: string | null;
}

export interface AttemptRow extends Omit<NewAttempt, 'startedAt' | 'fence'>, AttemptOutcome {
  id: number;
  startedAt: Date;
  finishedAt: Date | null;
  /** A worktree unit's commit, once its success was judged. */
  changes: UnitChanges | null;
}

/** Record the attempt and mark its unit running (if it still holds it), in one round trip. */
export async function startAttempt(db: Db, a: NewAttempt): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `WITH running AS (
       UPDATE units SET status = 'running', template_version = $4, error = NULL, updated_at = now()
       WHERE job_id = $1 AND unit_id = $2 AND ${held('$9')})
     INSERT INTO attempts (job_id, unit_id, attempt, template_version, phase, run_key, prompt, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::float8 / 1000)) RETURNING id`,
    [a.jobId, a.unitId, a.attempt, a.templateVersion, a.phase, a.runKey, a.prompt, a.startedAt, a.fence],
  );
  return rows[0]!.id;
}

/** SQL: the attempt's error type ($e) and error ($m), a success of a stale attempt (no row in `current`) marked. */
const judged = (e: string, m: string): string[] => [
  `CASE WHEN ${e}::text IS NULL AND NOT EXISTS (SELECT 1 FROM current) THEN '${SUPERSEDED}' ELSE ${e} END`,
  `CASE WHEN ${e}::text IS NULL AND NOT EXISTS (SELECT 1 FROM current) THEN '${SUPERSEDED_MESSAGE}' ELSE ${m} END`,
];
/** SQL: the unit ($1, $2), if the attempt whose fence is `fence` still holds it. */
const currentUnit = (fence: string): string =>
  `current AS (SELECT 1 FROM units WHERE job_id = $1 AND unit_id = $2 AND ${held(fence)})`;

/** A success for the unit: its result, session and structured output. */
export interface UnitSuccess {
  result: string | null;
  sessionId: string | null;
  output?: unknown;
}

/**
 * An attempt whose row was written while it ran has ended: its outcome, and on success its unit
 * settled (if the attempt still holds it), in one round trip. Returns what this execution of the
 * unit spent.
 */
export async function finishAttempt(
  db: Db,
  attemptId: number,
  a: NewAttempt,
  o: AttemptOutcome,
  success: UnitSuccess | null,
): Promise<{ runCostUsd: number }> {
  const { rows } = await db.query<{ runCostUsd: number }>(
    `WITH ${currentUnit('$20')},
     attempt AS (
       UPDATE attempts SET finished_at = now(), session_id = $4, result = $5, is_error = $6, subtype = $7,
         terminal_reason = $8, api_error_status = $9, num_turns = $10, cost_usd = $11, duration_ms = $12,
         exit_code = $13, error_type = ${judged('$14', '$15').join(', error = ')}, stderr_tail = $16,
         tools_used = ARRAY(SELECT jsonb_array_elements_text($17::jsonb)),
         output = $18
       WHERE id = $3 RETURNING cost_usd AS spent, duration_ms AS took),
     prior AS (${spentOnUnit('$19', '$3')}),
     unit AS (
       UPDATE units SET status = 'succeeded', error = NULL, updated_at = now(), result = coalesce($21, units.result),
         output = $18::jsonb, session_id = coalesce($4, units.session_id), cost_usd = prior.total + attempt.spent,
         attempts = prior.run_attempts + 1, duration_ms = prior.run_duration + attempt.took
       FROM prior, attempt WHERE $22::boolean AND units.job_id = $1 AND units.unit_id = $2 AND ${held('$20')}
       RETURNING prior.run + attempt.spent AS run_cost)
     SELECT coalesce((SELECT run_cost FROM unit), 0)::float8 AS "runCostUsd"`,
    [a.jobId, a.unitId, attemptId, ...outcomeParams(o), a.runKey, a.fence, pgText(success?.result ?? null), !!success],
  );
  return { runCostUsd: Number(rows[0]?.runCostUsd ?? 0) };
}

/** What followed a successful run (its check) failed: the attempt stands failed with the reason. */
export async function judgeAttempt(
  db: Db,
  attemptId: number,
  verdict: { errorType: string; error: string },
): Promise<void> {
  await db.query('UPDATE attempts SET error_type = $2, error = $3 WHERE id = $1', [
    attemptId,
    verdict.errorType,
    pgText(verdict.error),
  ]);
}

/**
 * A pending success is one (its check passed, its worktree committed): the attempt stands as
 * succeeded, with what it changed, and its unit settles, if the attempt still holds it — in one
 * round trip. Returns what this execution of the unit spent.
 */
export async function judgeSuccess(
  db: Db,
  attemptId: number,
  a: Pick<NewAttempt, 'jobId' | 'unitId' | 'runKey' | 'fence'>,
  success: UnitSuccess & { changes: UnitChanges | null },
): Promise<{ runCostUsd: number }> {
  const { rows } = await db.query<{ runCostUsd: number }>(
    `WITH ${currentUnit('$5')},
     attempt AS (
       UPDATE attempts SET error_type = ${judged('NULL', 'NULL').join(', error = ')}, changes = $6::jsonb
       WHERE id = $3 RETURNING id),
     spent AS (${spentOnUnit('$4')}),
     unit AS (
       UPDATE units SET status = 'succeeded', result = coalesce($7, result), error = NULL,
         session_id = coalesce($8, session_id), output = coalesce($9::jsonb, output), changes = coalesce($6::jsonb, changes),
         cost_usd = spent.total, attempts = spent.run_attempts, duration_ms = spent.run_duration, updated_at = now()
       FROM spent WHERE job_id = $1 AND unit_id = $2 AND ${held('$5')}
       RETURNING spent.run AS run_cost)
     SELECT coalesce((SELECT run_cost FROM unit), 0)::float8 AS "runCostUsd"`,
    [
      a.jobId,
      a.unitId,
      attemptId,
      a.runKey,
      a.fence,
      pgJsonOrNull(success.changes),
      pgText(success.result),
      success.sessionId,
      pgJsonOrNull(success.output),
    ],
  );
  return { runCostUsd: Number(rows[0]?.runCostUsd ?? 0) };
}

/** An outcome's columns, in the order session_id … tools_used (as JSON), output. */
export function outcomeParams(o: AttemptOutcome): unknown[] {
  return [
    o.sessionId,
    pgText(o.result),
    o.isError,
    o.subtype,
    o.terminalReason,
    o.apiErrorStatus,
    o.numTurns,
    o.costUsd,
    Math.round(o.durationMs),
    o.exitCode,
    o.errorType,
    pgText(o.error),
    pgText(o.stderrTail),
    pgJson(o.toolsUsed),
    pgJsonOrNull(o.output),
  ];
}

const ATTEMPT_COLUMNS = `id, job_id AS "jobId", unit_id AS "unitId", attempt, template_version AS "templateVersion", phase,
  run_key AS "runKey", prompt, started_at AS "startedAt", finished_at AS "finishedAt", session_id AS "sessionId", result,
  is_error AS "isError", subtype, terminal_reason AS "terminalReason", api_error_status AS "apiErrorStatus",
  num_turns AS "numTurns", cost_usd AS "costUsd", duration_ms AS "durationMs", exit_code AS "exitCode",
  error_type AS "errorType", error, stderr_tail AS "stderrTail", tools_used AS "toolsUsed", output, changes`;

export async function getAttempt(db: Db, attemptId: number): Promise<AttemptRow | null> {
  const { rows } = await db.query<AttemptRow>(`SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE id = $1`, [attemptId]);
  return rows[0] ?? null;
}

export async function listAttempts(db: Db, jobId: string, unitId: number): Promise<AttemptRow[]> {
  const { rows } = await db.query<AttemptRow>(
    `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE job_id = $1 AND unit_id = $2 ORDER BY id`,
    [jobId, unitId],
  );
  return rows;
}

/** The newest attempt of each given unit: what a test run did, for the approval screen. */
export async function latestAttempts(db: Db, jobId: string, unitIds: readonly number[]): Promise<AttemptRow[]> {
  const { rows } = await db.query<AttemptRow>(
    `SELECT DISTINCT ON (unit_id) ${ATTEMPT_COLUMNS} FROM attempts
     WHERE job_id = $1 AND unit_id = ANY($2::int[]) ORDER BY unit_id, id DESC`,
    [jobId, unitIds],
  );
  return rows;
}

/** The session of the unit's previous attempt in this run, to resume it on retry. */
export async function previousSessionId(db: Db, runKey: string, unitId: number): Promise<string | null> {
  const { rows } = await db.query<{ sessionId: string }>(
    `SELECT session_id AS "sessionId" FROM attempts WHERE run_key = $1 AND unit_id = $2 AND session_id IS NOT NULL
     ORDER BY id DESC LIMIT 1`,
    [runKey, unitId],
  );
  return rows[0]?.sessionId ?? null;
}

/** The attempt of this unit run that succeeded, if one did. */
export async function succeededAttempt(db: Db, runKey: string, unitId: number): Promise<AttemptRow | null> {
  const { rows } = await db.query<AttemptRow>(
    `SELECT ${ATTEMPT_COLUMNS} FROM attempts
     WHERE run_key = $1 AND unit_id = $2 AND finished_at IS NOT NULL AND error_type IS NULL
     ORDER BY id DESC LIMIT 1`,
    [runKey, unitId],
  );
  return rows[0] ?? null;
}

/** How each finished attempt of this execution of the unit ended (its error type, null for a success). */
export async function runErrorTypes(db: Db, runKey: string, unitId: number): Promise<(string | null)[]> {
  const { rows } = await db.query<{ errorType: string | null }>(
    `SELECT error_type AS "errorType" FROM attempts WHERE run_key = $1 AND unit_id = $2 AND finished_at IS NOT NULL`,
    [runKey, unitId],
  );
  return rows.map((r) => r.errorType);
}
