/** Agent attempts and the conversation events each one produced, appended as they arrive. */
import type { AttemptReport, Phase } from '../domain/index.js';
import type { Db } from './db.js';
import { pgJson, pgText } from './pgSafe.js';

export interface NewAttempt {
  jobId: string;
  unitId: number;
  attempt: number;
  templateVersion: number;
  phase: Phase;
  runKey: string;
  prompt: string;
}

/** What the adapter reported, and how the process and the attempt ended. */
export interface AttemptOutcome extends Omit<AttemptReport, 'durationMs'> {
  durationMs: number;
  exitCode: number | null;
  errorType: string | null;
  error: string | null;
  stderrTail: string | null;
}

export interface AttemptRow extends NewAttempt, AttemptOutcome {
  id: number;
  startedAt: Date;
  finishedAt: Date | null;
}

/** Record the attempt and mark its unit running, in one round trip. */
export async function startAttempt(db: Db, a: NewAttempt): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `WITH running AS (
       UPDATE units SET status = 'running', template_version = $4, error = NULL, updated_at = now()
       WHERE job_id = $1 AND unit_id = $2)
     INSERT INTO attempts (job_id, unit_id, attempt, template_version, phase, run_key, prompt)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [a.jobId, a.unitId, a.attempt, a.templateVersion, a.phase, a.runKey, a.prompt],
  );
  return rows[0]!.id;
}

export async function finishAttempt(db: Db, attemptId: number, o: AttemptOutcome): Promise<void> {
  await db.query(
    `UPDATE attempts SET finished_at = now(), session_id = $2, result = $3, is_error = $4, subtype = $5,
       terminal_reason = $6, api_error_status = $7, num_turns = $8, cost_usd = $9, duration_ms = $10,
       exit_code = $11, error_type = $12, error = $13, stderr_tail = $14, tools_used = $15
     WHERE id = $1`,
    [
      attemptId,
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
    ],
  );
}

/** Append events numbered from `firstSeq`, as they arrived (usually one; a burst in one insert). */
export async function appendEvents(
  db: Db,
  attemptId: number,
  firstSeq: number,
  events: readonly { type: string; subtype?: string | null; data: unknown }[],
): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO events (attempt_id, seq, type, subtype, data)
     SELECT $1, $2::int + ord::int - 1, type, subtype, data
     FROM unnest($3::text[], $4::text[], $5::jsonb[]) WITH ORDINALITY AS e(type, subtype, data, ord)
     ON CONFLICT (attempt_id, seq) DO NOTHING`,
    [
      attemptId,
      firstSeq,
      events.map((e) => e.type),
      events.map((e) => e.subtype ?? null),
      events.map((e) => pgJson(e.data)),
    ],
  );
}

const ATTEMPT_COLUMNS = `id, job_id AS "jobId", unit_id AS "unitId", attempt, template_version AS "templateVersion", phase,
  run_key AS "runKey", prompt, started_at AS "startedAt", finished_at AS "finishedAt", session_id AS "sessionId", result,
  is_error AS "isError", subtype, terminal_reason AS "terminalReason", api_error_status AS "apiErrorStatus",
  num_turns AS "numTurns", cost_usd AS "costUsd", duration_ms AS "durationMs", exit_code AS "exitCode",
  error_type AS "errorType", error, stderr_tail AS "stderrTail", tools_used AS "toolsUsed"`;

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
