/**
 * Reading jobs, units, their attempts and conversations: what `list`, `show` and the test report
 * show, and what a dashboard or an MCP server will show. (Results: results.ts.)
 */
import { NotFoundError, UsageError } from '../errors.js';
import { latestAttempts, listAttempts, type AttemptRow } from '../store/attempts.js';
import { listEvents, type EventRow } from '../store/events.js';
import { getJob, listJobs as listJobRows, pageJobs, type JobListRow, type JobRow } from '../store/jobs.js';
import { findUnit, type UnitRow } from '../store/units.js';
import type { Session } from './session.js';

export type { AttemptRow, EventRow, JobRow, UnitRow };

/** The error for a job id that names no job. */
export function noJob(jobId: string): NotFoundError {
  return new NotFoundError(`no job ${jobId}`, 'list jobs with `agentic-batch list`');
}

/** The job's stored record; a NotFoundError when there is none. */
export async function requireJob(session: Session, jobId: string): Promise<JobRow> {
  const job = await getJob(session.db, jobId);
  if (!job) throw noJob(jobId);
  return job;
}

/** Newest first. */
export function listJobs(session: Session, limit: number): Promise<JobRow[]> {
  return listJobRows(session.db, limit);
}

/** A page of jobs, newest first, for front ends that page (the dashboard). */
export async function jobPage(
  session: Session,
  options: { state?: string; q?: string; cursor?: string; limit?: number } = {},
): Promise<{ jobs: JobListRow[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  let after: { createdAt: string; id: string } | undefined;
  if (options.cursor !== undefined) {
    const [createdAt, id] = options.cursor.split('|');
    if (!createdAt || !id || Number.isNaN(Date.parse(createdAt)))
      throw new UsageError(
        `cursor ${JSON.stringify(options.cursor)} is not one a page gave`,
        'pass nextCursor as it came',
      );
    after = { createdAt, id };
  }
  const jobs = await pageJobs(session.db, { state: options.state, q: options.q, after, limit });
  const last = jobs.at(-1);
  return { jobs, nextCursor: jobs.length === limit && last ? `${last.cursorAt}|${last.id}` : null };
}

export interface UnitConversation {
  unit: UnitRow;
  attempts: { attempt: AttemptRow; events: EventRow[] }[];
}

/** A unit (by id or key) with every attempt and its conversation events. */
export async function unitConversation(session: Session, jobId: string, unitRef: string): Promise<UnitConversation> {
  await requireJob(session, jobId);
  const unit = await findUnit(session.db, jobId, unitRef);
  if (!unit) throw new NotFoundError(`job ${jobId} has no unit ${unitRef}`, 'list them with `agentic-batch units JOB`');
  const attempts = await listAttempts(session.db, jobId, unit.unitId);
  return {
    unit,
    attempts: await Promise.all(
      attempts.map(async (attempt) => ({ attempt, events: await listEvents(session.db, attempt.id) })),
    ),
  };
}

/** The newest attempt of each given unit: what the test units did, for the approval screen. */
export function newestAttempts(session: Session, jobId: string, unitIds: readonly number[]): Promise<AttemptRow[]> {
  return latestAttempts(session.db, jobId, unitIds);
}
