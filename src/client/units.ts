/**
 * Reading jobs, units, their attempts and conversations: what `list`, `show` and the test report
 * show, and what a dashboard or an MCP server will show. (Results: results.ts.)
 */
import { UsageError } from '../errors.js';
import { latestAttempts, listAttempts, listEvents, type AttemptRow, type EventRow } from '../store/attempts.js';
import { getJob, listJobs as listJobRows, type JobRow } from '../store/jobs.js';
import { findUnit, type UnitRow } from '../store/units.js';
import type { Session } from './session.js';

export type { AttemptRow, EventRow, JobRow, UnitRow };

/** The job's stored record; a UsageError when there is none. */
export async function requireJob(session: Session, jobId: string): Promise<JobRow> {
  const job = await getJob(session.db, jobId);
  if (!job) throw new UsageError(`no job ${jobId}`, 'list jobs with `agentic-batch list`');
  return job;
}

/** Newest first. */
export function listJobs(session: Session, limit: number): Promise<JobRow[]> {
  return listJobRows(session.db, limit);
}

export interface UnitConversation {
  unit: UnitRow;
  attempts: { attempt: AttemptRow; events: EventRow[] }[];
}

/** A unit (by id or key) with every attempt and its conversation events. */
export async function unitConversation(session: Session, jobId: string, unitRef: string): Promise<UnitConversation> {
  await requireJob(session, jobId);
  const unit = await findUnit(session.db, jobId, unitRef);
  if (!unit) throw new UsageError(`job ${jobId} has no unit ${unitRef}`, 'list them with `agentic-batch units JOB`');
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
