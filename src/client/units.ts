/**
 * Reading jobs, units, their attempts and conversations: what `list`, `show` and the test report
 * show, and what a dashboard or an MCP server will show. (Results: results.ts.)
 */
import { NotFoundError, UsageError } from '../errors.js';
import { getAttempt, latestAttempts, listAttempts, type AttemptRow } from '../store/attempts.js';
import { countEvents, listEvents, type EventRow } from '../store/events.js';
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

export interface AttemptConversation {
  attempt: AttemptRow;
  /** A page of its events: the first ones, or with `last` the last ones. */
  events: EventRow[];
  /** How many it has in all. */
  eventCount: number;
  /** The events after this page start after this seq (`attemptEvents`), or null: none left. */
  nextEventSeq: number | null;
}

export interface UnitConversation {
  unit: UnitRow;
  attempts: AttemptConversation[];
}

/** Events per attempt a unit's page shows before it asks for more (an attempt keeps up to 10,000). */
export const EVENTS_PER_PAGE = 500;

/**
 * A unit (by id or key) with every attempt and a page of its conversation: all of it for the
 * CLI (`eventsPerAttempt: null`), a page for the dashboard and MCP (`last`: its end).
 */
export async function unitConversation(
  session: Session,
  jobId: string,
  unitRef: string,
  options: { eventsPerAttempt?: number | null; last?: boolean } = {},
): Promise<UnitConversation> {
  await requireJob(session, jobId);
  const unit = await findUnit(session.db, jobId, unitRef);
  if (!unit) throw new NotFoundError(`job ${jobId} has no unit ${unitRef}`, 'list them with `agentic-batch units JOB`');
  const attempts = await listAttempts(session.db, jobId, unit.unitId);
  const counts = await countEvents(
    session.db,
    attempts.map((a) => a.id),
  );
  const limit = options.eventsPerAttempt === undefined ? EVENTS_PER_PAGE : (options.eventsPerAttempt ?? undefined);
  return {
    unit,
    attempts: await Promise.all(
      attempts.map(async (attempt) => {
        const events = await listEvents(session.db, attempt.id, { limit, last: options.last });
        const eventCount = counts.get(Number(attempt.id)) ?? 0;
        const lastSeq = events.at(-1)?.seq ?? 0;
        return { attempt, events, eventCount, nextEventSeq: !options.last && lastSeq < eventCount ? lastSeq : null };
      }),
    ),
  };
}

/** A page of one attempt's events after `afterSeq` (the dashboard's "more", MCP's get_events). */
export async function attemptEvents(
  session: Session,
  jobId: string,
  attemptId: number,
  page: { afterSeq?: number; limit?: number } = {},
): Promise<{ events: EventRow[]; nextEventSeq: number | null }> {
  const attempt = await getAttempt(session.db, attemptId);
  if (!attempt || attempt.jobId !== jobId) {
    throw new NotFoundError(`job ${jobId} has no attempt ${attemptId}`, 'attempt ids are in a unit’s attempts');
  }
  const limit = Math.min(Math.max(page.limit ?? EVENTS_PER_PAGE, 1), 2000);
  const events = await listEvents(session.db, attemptId, { afterSeq: page.afterSeq ?? 0, limit });
  return { events, nextEventSeq: events.length === limit ? events.at(-1)!.seq : null };
}

/** The newest attempt of each given unit: what the test units did, for the approval screen. */
export function newestAttempts(session: Session, jobId: string, unitIds: readonly number[]): Promise<AttemptRow[]> {
  return latestAttempts(session.db, jobId, unitIds);
}
