/**
 * Attempts that ended before their row was written (most short units), several in one round
 * trip: each attempt, its events and its unit. A success settles the unit, as `completeUnit`
 * would (if the attempt still holds it, claims.ts); otherwise the unit stays running until its
 * execution ends. Measured at 1000 units × 100 ms × 16: one statement per unit was ~0.9 ms of
 * the worker's CPU per unit in socket writes alone, and most of Postgres's ~1.7 ms.
 */
import type { UnitOutcomeStatus } from '../domain/index.js';
import { outcomeParams, SUPERSEDED, SUPERSEDED_MESSAGE, type AttemptOutcome, type NewAttempt } from './attempts.js';
import type { Db } from './db.js';
import type { TimedEvent } from './events.js';
import { pgText } from './pgSafe.js';

export interface WholeAttempt {
  attempt: NewAttempt;
  events: readonly TimedEvent[];
  outcome: AttemptOutcome;
  unit: {
    status: Extract<UnitOutcomeStatus, 'succeeded'> | 'running';
    result: string | null;
    sessionId: string | null;
  };
}

/** Column name and SQL array type of each field of an attempt, in the order `columnsOf` gives them (the outcome's as `outcomeParams`). */
const INPUT = [
  ['job_id', 'text'],
  ['unit_id', 'int'],
  ['attempt', 'int'],
  ['template_version', 'int'],
  ['phase', 'text'],
  ['run_key', 'text'],
  ['prompt', 'text'],
  ['started_at', 'float8'],
  ['fence', 'int'],
  ['session_id', 'text'],
  ['result', 'text'],
  ['is_error', 'bool'],
  ['subtype', 'text'],
  ['terminal_reason', 'text'],
  ['api_error_status', 'int'],
  ['num_turns', 'int'],
  ['cost_usd', 'float8'],
  ['duration_ms', 'int'],
  ['exit_code', 'int'],
  ['error_type', 'text'],
  ['error', 'text'],
  ['stderr_tail', 'text'],
  ['tools_used', 'jsonb'],
  ['output', 'jsonb'],
  ['unit_status', 'text'],
  ['unit_result', 'text'],
] as const;

function columnsOf({ attempt: a, outcome, unit }: WholeAttempt): unknown[] {
  const attempt = [a.jobId, a.unitId, a.attempt, a.templateVersion, a.phase, a.runKey, a.prompt, a.startedAt, a.fence];
  return [...attempt, ...outcomeParams(outcome), unit.status, pgText(unit.result)];
}

const N = INPUT.length;
const STATEMENT = `
  WITH input AS (
    SELECT * FROM unnest(${INPUT.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})
      WITH ORDINALITY AS i(${INPUT.map(([name]) => name).join(', ')}, ord)),
  current AS (
    SELECT i.ord FROM input i JOIN units u ON u.job_id = i.job_id AND u.unit_id = i.unit_id
    WHERE u.fence = i.fence AND u.status IN ('pending', 'running')),
  attempt AS (
    INSERT INTO attempts (job_id, unit_id, attempt, template_version, phase, run_key, prompt, started_at, finished_at,
      session_id, result, is_error, subtype, terminal_reason, api_error_status, num_turns, cost_usd, duration_ms,
      exit_code, error_type, error, stderr_tail, tools_used, output)
    SELECT i.job_id, i.unit_id, i.attempt, i.template_version, i.phase, i.run_key, i.prompt,
      to_timestamp(i.started_at / 1000), now(), i.session_id, i.result, i.is_error, i.subtype, i.terminal_reason,
      i.api_error_status, i.num_turns, i.cost_usd, i.duration_ms, i.exit_code,
      CASE WHEN i.error_type IS NULL AND c.ord IS NULL THEN '${SUPERSEDED}' ELSE i.error_type END,
      CASE WHEN i.error_type IS NULL AND c.ord IS NULL THEN '${SUPERSEDED_MESSAGE}' ELSE i.error END,
      i.stderr_tail, ARRAY(SELECT jsonb_array_elements_text(i.tools_used)), i.output
    FROM input i LEFT JOIN current c ON c.ord = i.ord
    RETURNING id, job_id, unit_id, cost_usd AS spent, duration_ms AS took),
  ids AS (
    SELECT i.ord, a.id, a.spent, a.took FROM input i JOIN attempt a ON a.job_id = i.job_id AND a.unit_id = i.unit_id),
  stored_events AS (
    INSERT INTO events (attempt_id, seq, type, subtype, data, received_at)
    SELECT ids.id, e.seq, e.type, e.subtype, e.data, to_timestamp(e.at / 1000)
    FROM unnest($${N + 1}::int[], $${N + 2}::int[], $${N + 3}::text[], $${N + 4}::text[], $${N + 5}::jsonb[],
      $${N + 6}::float8[]) AS e(ord, seq, type, subtype, data, at)
    JOIN ids ON ids.ord = e.ord),
  prior AS (
    SELECT i.ord, p.* FROM input i CROSS JOIN LATERAL (
      SELECT coalesce(sum(a.cost_usd), 0) AS total,
             coalesce(sum(a.cost_usd) FILTER (WHERE a.run_key = i.run_key), 0) AS run,
             count(*) FILTER (WHERE a.run_key = i.run_key) AS run_attempts,
             coalesce(sum(a.duration_ms) FILTER (WHERE a.run_key = i.run_key), 0) AS run_duration
      FROM attempts a WHERE a.job_id = i.job_id AND a.unit_id = i.unit_id) p),
  unit AS (
    UPDATE units SET status = i.unit_status, template_version = i.template_version, error = NULL, updated_at = now(),
      result = CASE WHEN i.unit_status = 'succeeded' THEN coalesce(i.unit_result, units.result) ELSE units.result END,
      output = CASE WHEN i.unit_status = 'succeeded' THEN i.output ELSE units.output END,
      session_id = CASE WHEN i.unit_status = 'succeeded' THEN coalesce(i.session_id, units.session_id)
        ELSE units.session_id END,
      cost_usd = CASE WHEN i.unit_status = 'succeeded' THEN prior.total + ids.spent ELSE units.cost_usd END,
      attempts = CASE WHEN i.unit_status = 'succeeded' THEN prior.run_attempts + 1 ELSE units.attempts END,
      duration_ms = CASE WHEN i.unit_status = 'succeeded' THEN prior.run_duration + ids.took ELSE units.duration_ms END
    FROM input i JOIN prior ON prior.ord = i.ord JOIN ids ON ids.ord = i.ord
    WHERE units.job_id = i.job_id AND units.unit_id = i.unit_id AND units.fence = i.fence
      AND units.status IN ('pending', 'running')
    RETURNING i.ord, prior.run + ids.spent AS run_cost)
  SELECT ids.ord::int AS ord, ids.id AS "attemptId", coalesce(unit.run_cost, 0)::float8 AS "runCostUsd"
  FROM ids LEFT JOIN unit ON unit.ord = ids.ord`;

/**
 * Stores the attempts (of distinct units) in one statement; returns, in their order, each one's
 * row id and what its execution of the unit spent (0 when it no longer held its unit).
 */
export async function storeWholeAttempts(
  db: Db,
  attempts: readonly WholeAttempt[],
): Promise<{ runCostUsd: number; attemptId: number }[]> {
  const columns: unknown[][] = INPUT.map(() => []);
  for (const a of attempts) columnsOf(a).forEach((value, i) => columns[i]!.push(value));
  const events: unknown[][] = [[], [], [], [], [], []];
  attempts.forEach((a, i) =>
    a.events.forEach((e, seq) =>
      [i + 1, seq + 1, e.type, e.subtype, e.json, e.at].forEach((value, k) => events[k]!.push(value)),
    ),
  );
  // Named: Postgres plans it once per connection (planning this statement cost more than running it for a few rows).
  const { rows } = await db.query<{ ord: number; attemptId: string; runCostUsd: number }>({
    name: 'store-whole-attempts',
    text: STATEMENT,
    values: [...columns, ...events],
  });
  const byOrd = new Map(rows.map((r) => [r.ord, r]));
  return attempts.map((_, i) => {
    const row = byOrd.get(i + 1);
    if (!row) throw new Error(`attempt ${i + 1} of ${attempts.length} was not stored`);
    return { runCostUsd: Number(row.runCostUsd), attemptId: Number(row.attemptId) };
  });
}
