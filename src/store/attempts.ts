/** Agent attempts and the conversation events each one produced, appended as they arrive. */
import type { AttemptReport, Phase, UnitChanges, UnitOutcomeStatus } from '../domain/index.js';
import type { Db } from './db.js';
import { pgJson, pgJsonOrNull, pgText } from './pgSafe.js';
import { spentOnUnit } from './units.js';

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
}

/** A conversation event with the time it arrived (epoch ms). */
export interface TimedEvent {
  type: string;
  subtype?: string | null;
  data: unknown;
  at: number;
}

/** What the adapter reported, and how the process and the attempt ended. */
export interface AttemptOutcome extends Omit<AttemptReport, 'durationMs'> {
  durationMs: number;
  exitCode: number | null;
  errorType: string | null;
  error: string | null;
  stderrTail: string | null;
}

export interface AttemptRow extends Omit<NewAttempt, 'startedAt'>, AttemptOutcome {
  id: number;
  startedAt: Date;
  finishedAt: Date | null;
  /** A worktree unit's commit, once its success was judged. */
  changes: UnitChanges | null;
}

/** Record the attempt and mark its unit running, in one round trip. */
export async function startAttempt(db: Db, a: NewAttempt): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `WITH running AS (
       UPDATE units SET status = 'running', template_version = $4, error = NULL, updated_at = now()
       WHERE job_id = $1 AND unit_id = $2)
     INSERT INTO attempts (job_id, unit_id, attempt, template_version, phase, run_key, prompt, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::float8 / 1000)) RETURNING id`,
    [a.jobId, a.unitId, a.attempt, a.templateVersion, a.phase, a.runKey, a.prompt, a.startedAt],
  );
  return rows[0]!.id;
}

/**
 * A whole attempt that ended before its row was written (most short units): the attempt, its
 * events and its unit in one round trip. A success settles the unit, as `completeUnit` would;
 * otherwise the unit stays running until its execution ends. Returns what this execution of the
 * unit spent.
 */
export async function storeWholeAttempt(
  db: Db,
  a: NewAttempt,
  events: readonly TimedEvent[],
  o: AttemptOutcome,
  unit: {
    status: Extract<UnitOutcomeStatus, 'succeeded'> | 'running';
    result: string | null;
    sessionId: string | null;
  },
): Promise<{ runCostUsd: number; attemptId: number }> {
  const { rows } = await db.query<{ runCostUsd: number; attemptId: string }>(
    `WITH attempt AS (
       INSERT INTO attempts (job_id, unit_id, attempt, template_version, phase, run_key, prompt, started_at, finished_at,
         session_id, result, is_error, subtype, terminal_reason, api_error_status, num_turns, cost_usd, duration_ms,
         exit_code, error_type, error, stderr_tail, tools_used, output)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::float8 / 1000), now(),
         $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
       RETURNING id, cost_usd AS spent, duration_ms AS took),
     stored_events AS (
       INSERT INTO events (attempt_id, seq, type, subtype, data, received_at)
       SELECT attempt.id, ord::int, e.type, e.subtype, e.data, to_timestamp(e.at / 1000)
       FROM attempt, unnest($24::text[], $25::text[], $26::jsonb[], $27::float8[]) WITH ORDINALITY AS e(type, subtype, data, at, ord)),
     prior AS (${spentOnUnit('$6')}),
     unit AS (
       UPDATE units SET status = $28, template_version = $4, error = NULL, updated_at = now(),
         result = CASE WHEN $28 = 'succeeded' THEN coalesce($29, units.result) ELSE units.result END,
         output = CASE WHEN $28 = 'succeeded' THEN $23::jsonb ELSE units.output END,
         session_id = CASE WHEN $28 = 'succeeded' THEN coalesce($9, units.session_id) ELSE units.session_id END,
         cost_usd = CASE WHEN $28 = 'succeeded' THEN prior.total + attempt.spent ELSE units.cost_usd END,
         attempts = CASE WHEN $28 = 'succeeded' THEN prior.run_attempts + 1 ELSE units.attempts END,
         duration_ms = CASE WHEN $28 = 'succeeded' THEN prior.run_duration + attempt.took ELSE units.duration_ms END
       FROM prior, attempt WHERE units.job_id = $1 AND units.unit_id = $2
       RETURNING prior.run + attempt.spent AS run_cost)
     SELECT coalesce((SELECT run_cost FROM unit), 0)::float8 AS "runCostUsd", (SELECT id FROM attempt) AS "attemptId"`,
    [
      a.jobId,
      a.unitId,
      a.attempt,
      a.templateVersion,
      a.phase,
      a.runKey,
      a.prompt,
      a.startedAt,
      ...outcomeParams(o),
      ...eventParams(events),
      unit.status,
      pgText(unit.result),
    ],
  );
  return { runCostUsd: Number(rows[0]?.runCostUsd ?? 0), attemptId: Number(rows[0]!.attemptId) };
}

/**
 * How what follows a successful run (its check, its commit) went: the attempt stands as succeeded
 * (errorType null, with what it changed in its worktree) or failed with the reason.
 */
export async function judgeAttempt(
  db: Db,
  attemptId: number,
  verdict: { errorType: string | null; error: string | null; changes?: UnitChanges | null },
): Promise<void> {
  await db.query('UPDATE attempts SET error_type = $2, error = $3, changes = $4::jsonb WHERE id = $1', [
    attemptId,
    verdict.errorType,
    pgText(verdict.error),
    pgJsonOrNull(verdict.changes ?? null),
  ]);
}

/** An outcome's columns, in the order session_id … tools_used, output. */
function outcomeParams(o: AttemptOutcome): unknown[] {
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
    o.toolsUsed,
    pgJsonOrNull(o.output),
  ];
}

/** Events as four parallel arrays (type, subtype, data, arrival time), for `unnest`. */
function eventParams(events: readonly TimedEvent[]): unknown[] {
  return [
    events.map((e) => e.type),
    events.map((e) => e.subtype ?? null),
    events.map((e) => pgJson(e.data)),
    events.map((e) => e.at),
  ];
}

export async function finishAttempt(db: Db, attemptId: number, o: AttemptOutcome): Promise<void> {
  await db.query(
    `UPDATE attempts SET finished_at = now(), session_id = $2, result = $3, is_error = $4, subtype = $5,
       terminal_reason = $6, api_error_status = $7, num_turns = $8, cost_usd = $9, duration_ms = $10,
       exit_code = $11, error_type = $12, error = $13, stderr_tail = $14, tools_used = $15, output = $16
     WHERE id = $1`,
    [attemptId, ...outcomeParams(o)],
  );
}

/** Append events numbered from `firstSeq`, as they arrived (usually one; a burst in one insert). */
export async function appendEvents(
  db: Db,
  attemptId: number,
  firstSeq: number,
  events: readonly TimedEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO events (attempt_id, seq, type, subtype, data, received_at)
     SELECT $1, $2::int + ord::int - 1, type, subtype, data, to_timestamp(at / 1000)
     FROM unnest($3::text[], $4::text[], $5::jsonb[], $6::float8[]) WITH ORDINALITY AS e(type, subtype, data, at, ord)
     ON CONFLICT (attempt_id, seq) DO NOTHING`,
    [attemptId, firstSeq, ...eventParams(events)],
  );
}

const ATTEMPT_COLUMNS = `id, job_id AS "jobId", unit_id AS "unitId", attempt, template_version AS "templateVersion", phase,
  run_key AS "runKey", prompt, started_at AS "startedAt", finished_at AS "finishedAt", session_id AS "sessionId", result,
  is_error AS "isError", subtype, terminal_reason AS "terminalReason", api_error_status AS "apiErrorStatus",
  num_turns AS "numTurns", cost_usd AS "costUsd", duration_ms AS "durationMs", exit_code AS "exitCode",
  error_type AS "errorType", error, stderr_tail AS "stderrTail", tools_used AS "toolsUsed", output, changes`;

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

export interface EventRow {
  seq: number;
  type: string;
  subtype: string | null;
  data: Record<string, unknown>;
  receivedAt: Date;
}

export async function listEvents(db: Db, attemptId: number): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT seq, type, subtype, data, received_at AS "receivedAt" FROM events WHERE attempt_id = $1 ORDER BY seq`,
    [attemptId],
  );
  return rows;
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
