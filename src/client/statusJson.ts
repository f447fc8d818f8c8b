/** A job's status as scripts, the MCP server and the dashboard get it: one documented shape. */
import type { JobStatus } from '../domain/index.js';

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
    breaker: status.breaker ?? null,
    memory: status.memory ?? null,
    ...(status.aggregate
      ? { aggregate: { state: status.aggregate.state, error: status.aggregate.error }, report: status.aggregate.report }
      : {}),
  };
}
