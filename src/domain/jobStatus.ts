/**
 * A job's status, built in one place: by the workflow for its status query, and by the client
 * from Postgres when no worker can answer (a job that is not running).
 */
import { forecastCost } from './budget.js';
import type { AggregateStatus, JobStatus, ThrottleStatus } from './job.js';

/** What a status is built from: the status's own fields, with the counts' parts and no forecast (derived). */
export type StatusParts = Omit<JobStatus, 'counts' | 'forecast' | 'aggregate'> & {
  total: number;
  settled: { succeeded: number; failed: number; cancelled: number; expired: number };
  running: number;
  aggregate: AggregateStatus | null;
};

export function buildJobStatus(p: StatusParts): JobStatus {
  const { succeeded, failed, cancelled, expired } = p.settled;
  return {
    jobId: p.jobId,
    name: p.name,
    state: p.state,
    counts: {
      total: p.total,
      pending: p.total - succeeded - failed - cancelled - expired - p.running,
      running: p.running,
      succeeded,
      failed,
      cancelled,
      expired,
    },
    costUsd: p.costUsd,
    budgetUsd: p.budgetUsd,
    concurrency: p.concurrency,
    templateVersion: p.templateVersion,
    testResults: p.testResults,
    message: p.message,
    throttle: p.throttle,
    forecast: forecastCost(p.testResults, p.templateVersion, p.total),
    webhook: p.webhook,
    aggregate: p.aggregate,
    breaker: p.breaker ?? null,
  };
}

/** The throttle of a job that is not running: only the workflow knows more. */
export function idleThrottle(concurrency: number): ThrottleStatus {
  return { allowed: concurrency, rateLimitedLastMinute: 0, pausedUntil: null, text: null };
}
