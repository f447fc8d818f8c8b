/** How commands talk: results on stdout (JSON with --json), everything for humans on stderr. */
import type { JobStatus } from '../domain/index.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function say(line = ''): void {
  process.stderr.write(`${line}\n`);
}

/** The documented JSON shape of a job's status for scripts. */
export function statusJson(status: JobStatus) {
  const { counts } = status;
  return {
    jobId: status.jobId,
    status: status.state,
    counts: {
      total: counts.total,
      succeeded: counts.succeeded,
      failed: counts.failed,
      cancelled: counts.cancelled,
      expired: counts.expired,
      pending: counts.pending,
      running: counts.running,
    },
    costUsd: status.costUsd,
    name: status.name,
    message: status.message,
    templateVersion: status.templateVersion,
    budgetUsd: status.budgetUsd,
    concurrency: status.concurrency,
    throttle: status.throttle,
    forecastUsd: status.forecast?.totalUsd ?? null,
    forecast: status.forecast,
    webhook: status.webhook,
    ...(status.aggregate
      ? { aggregate: { state: status.aggregate.state, error: status.aggregate.error }, report: status.aggregate.report }
      : {}),
  };
}
