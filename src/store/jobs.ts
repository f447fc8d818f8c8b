/** Jobs and their prompt template versions. */
import type { JobState } from '../domain/index.js';
import type { Db } from './db.js';
import { containing, pgText } from './pgSafe.js';

export interface JobRow {
  id: string;
  name: string;
  spec: unknown;
  sourceType: string;
  totalUnits: number;
  state: JobState;
  message: string | null;
  costUsd: number;
  createdAt: Date;
  updatedAt: Date;
  /** Its creation time to the microsecond, as text: where the next page of a listing starts. */
  cursorAt?: string;
}

/** The job and everything of it (its units' attempts and events go with the units). */
export async function deleteJob(db: Db, jobId: string): Promise<void> {
  await db.query('WITH units AS (DELETE FROM units WHERE job_id = $1) DELETE FROM jobs WHERE id = $1', [jobId]);
}

const JOB_COLUMNS = `id, name, spec, source_type AS "sourceType", total_units AS "totalUnits", state, message,
  cost_usd AS "costUsd", created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The job an idempotency key created, with the hash of the spec it was created from. */
export async function jobByIdempotencyKey(
  db: Db,
  key: string,
): Promise<{ id: string; totalUnits: number; specHash: string | null } | null> {
  const { rows } = await db.query<{ id: string; totalUnits: number; specHash: string | null }>(
    'SELECT id, total_units AS "totalUnits", spec_hash AS "specHash" FROM jobs WHERE idempotency_key = $1',
    [key],
  );
  return rows[0] ?? null;
}

export async function getJob(db: Db, jobId: string): Promise<JobRow | null> {
  const { rows } = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [jobId]);
  return rows[0] ?? null;
}

/** The job's state as the workflow last recorded it (null: no such job). */
export async function getJobState(db: Db, jobId: string): Promise<JobState | null> {
  const { rows } = await db.query<{ state: JobState }>('SELECT state FROM jobs WHERE id = $1', [jobId]);
  return rows[0]?.state ?? null;
}

/**
 * Newest first. An ended job's cost is the one recorded when it ended; a live one's is summed from
 * its units (a full read of a million-unit job took 3 s).
 */
export async function listJobs(db: Db, limit = 50): Promise<JobRow[]> {
  return pageJobs(db, { limit });
}

/** A job in a listing: with how many of its units ended, and how. */
export interface JobListRow extends JobRow {
  succeeded: number;
  failed: number;
  /** Units that ended, whichever way (succeeded, failed, cancelled, expired). */
  settled: number;
}

/**
 * A page of jobs, newest first, after a cursor (keyset: created_at, id), in a state and with a
 * name or id containing `q`, if given; each with its units counted by status and, while it runs,
 * their cost summed (one pass over its units).
 */
export async function pageJobs(
  db: Db,
  page: { state?: string; q?: string; after?: { createdAt: string; id: string }; limit: number },
): Promise<JobListRow[]> {
  const { rows } = await db.query<JobListRow>(
    `SELECT id, name, spec, source_type AS "sourceType", total_units AS "totalUnits", state, message,
       CASE WHEN state IN ('COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED') THEN cost_usd ELSE n.cost END AS "costUsd",
       n.succeeded, n.failed, n.settled,
       created_at AS "createdAt", updated_at AS "updatedAt", created_at::text AS "cursorAt"
     FROM jobs, LATERAL (
       SELECT coalesce(sum(u.cost_usd), 0)::float8 AS cost,
              count(*) FILTER (WHERE u.status = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE u.status = 'failed')::int AS failed,
              count(*) FILTER (WHERE u.status NOT IN ('pending', 'running'))::int AS settled
       FROM units u WHERE u.job_id = jobs.id) n
     WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR name ILIKE $2 OR id ILIKE $2)
       AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::text))
     ORDER BY created_at DESC, id DESC LIMIT $5`,
    [page.state ?? null, containing(page.q), page.after?.createdAt ?? null, page.after?.id ?? null, page.limit],
  );
  return rows;
}

/** The aggregate step's result, the job's report, and what its run cost (added to what failed runs did). */
export async function recordReport(db: Db, jobId: string, report: { text: string; costUsd: number }): Promise<void> {
  await db.query(
    'UPDATE jobs SET report = $2, report_cost_usd = report_cost_usd + $3, updated_at = now() WHERE id = $1',
    [jobId, pgText(report.text), report.costUsd],
  );
}

/** What the aggregate step spent so far: a failed run costs too. */
export async function addReportCost(db: Db, jobId: string, costUsd: number): Promise<void> {
  await db.query('UPDATE jobs SET report_cost_usd = report_cost_usd + $2 WHERE id = $1', [jobId, costUsd]);
}

export async function getReport(db: Db, jobId: string): Promise<{ text: string | null; costUsd: number } | null> {
  const { rows } = await db.query<{ text: string | null; costUsd: number }>(
    'SELECT report AS text, report_cost_usd AS "costUsd" FROM jobs WHERE id = $1',
    [jobId],
  );
  return rows[0] ?? null;
}

export async function recordJobState(
  db: Db,
  jobId: string,
  state: JobState,
  costUsd: number,
  message: string | null,
): Promise<void> {
  await db.query('UPDATE jobs SET state = $2, cost_usd = $3, message = $4, updated_at = now() WHERE id = $1', [
    jobId,
    state,
    costUsd,
    message,
  ]);
}

export async function getTemplate(db: Db, jobId: string, version: number): Promise<string | null> {
  const { rows } = await db.query<{ template: string }>(
    'SELECT template FROM prompt_versions WHERE job_id = $1 AND version = $2',
    [jobId, version],
  );
  return rows[0]?.template ?? null;
}

/**
 * Store a revised template as the next version. Keyed by the workflow's revision id, so a retried
 * activity returns the version it already wrote instead of adding another.
 */
export async function latestTemplateVersion(db: Db, jobId: string): Promise<number> {
  const { rows } = await db.query<{ version: number }>(
    'SELECT coalesce(max(version), 1) AS version FROM prompt_versions WHERE job_id = $1',
    [jobId],
  );
  return rows[0]!.version;
}

export async function saveTemplateVersion(
  db: Db,
  jobId: string,
  template: string,
  feedback: string,
  revisionId: string,
): Promise<number> {
  const { rows } = await db.query<{ version: number }>(
    `WITH existing AS (SELECT version FROM prompt_versions WHERE job_id = $1 AND revision_id = $4),
     inserted AS (
       INSERT INTO prompt_versions (job_id, version, template, feedback, revision_id)
       SELECT $1, (SELECT coalesce(max(version), 0) + 1 FROM prompt_versions WHERE job_id = $1), $2, $3, $4
       WHERE NOT EXISTS (SELECT 1 FROM existing)
       RETURNING version)
     SELECT version FROM inserted UNION ALL SELECT version FROM existing`,
    [jobId, template, feedback, revisionId],
  );
  return rows[0]!.version;
}
