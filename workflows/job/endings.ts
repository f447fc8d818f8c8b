/**
 * How a job ends: once every unit settled, its aggregate step (if any) and COMPLETED or FAILED;
 * past its expiry, its running units stopped after a grace and the rest expired; cancelled, its
 * running agents stopped and the rest cancelled. Whichever way, Postgres and the job agree when
 * it ends: no unit is left pending or running, and the job's counts are Postgres's.
 */
import { condition, isCancellation } from '@temporalio/workflow';
import { describeFailure } from '../describeFailure.js';
import { store } from './dispatch.js';
import type { JobRun } from './jobRun.js';
import { forEachIdSlice } from './phases.js';

/** When a job expires, its running units get this long to finish before they are stopped. */
const EXPIRY_GRACE = '15 seconds';
/** How long a stopping job waits for its running units' activities: don't wait forever for a dead worker. */
const STOP_WAIT = '2 minutes';

/** The aggregate step has yet to run (or is running): the job does not end before it. */
export function aggregatePending(job: JobRun): boolean {
  return job.s.aggregate?.state === 'pending' || job.s.aggregate?.state === 'running';
}

/** Every unit settled: the aggregate step, if any, then the job ends. */
export async function finish(job: JobRun): Promise<void> {
  const { s, settings } = job;
  if (aggregatePending(job)) await aggregate(job);
  const unsettled = await reconcile(job);
  const reasons: string[] = [];
  if (s.failed > 0) {
    const lost = unsettled > 0 ? ` (${unsettled} of them never settled)` : '';
    reasons.push(`${s.failed} of ${settings.totalUnits} units failed${lost}`);
  }
  if (s.aggregate?.state === 'failed') reasons.push(`the aggregate step failed: ${s.aggregate.error}`);
  if (reasons.length > 0) job.moveTo('FAILED', reasons.join('; '));
  else job.moveTo('COMPLETED');
}

/**
 * Postgres and the job agree: a unit still pending or running (none should be) fails as never
 * settled, and the job's counts become Postgres's. Returns how many units that failed.
 */
async function reconcile(job: JobRun): Promise<number> {
  const { unsettled, ...counts } = await store.reconcileUnits({ jobId: job.settings.jobId });
  Object.assign(job.s, counts);
  return unsettled;
}

/** One more agent run over the succeeded units' results (its own retries); its result is the report. */
async function aggregate(job: JobRun): Promise<void> {
  const { s, settings } = job;
  s.aggregate = { state: 'running', error: null, report: null };
  s.message = `aggregating the results of ${s.succeeded} units`;
  try {
    const { report, costUsd } = await job.agents.runAggregate({
      jobId: settings.jobId,
      succeeded: s.succeeded,
      failed: s.failed,
      total: settings.totalUnits,
    });
    s.costUsd += costUsd;
    s.aggregate = { state: 'succeeded', error: null, report };
  } catch (err) {
    if (isCancellation(err)) throw err;
    s.aggregate = { state: 'failed', error: describeFailure(err), report: null };
  }
  s.message = null;
}

export function expired(job: JobRun): boolean {
  const { expiresAt } = job.settings;
  return typeof expiresAt === 'number' && Date.now() >= expiresAt;
}

/** `expiresAfter` passed: start nothing, give the running units a grace, stop them, expire the rest. */
export async function expire(job: JobRun): Promise<void> {
  const { s, settings } = job;
  job.expiring = true;
  s.message = `expired: stopping ${job.running.size} running units`;
  s.queue.length = 0;
  await condition(() => job.running.size === 0, EXPIRY_GRACE);
  job.unitsScope.cancel();
  await condition(() => job.running.size === 0, STOP_WAIT);
  job.running.clear();
  await endPendingUnits(job, 'expired');
  job.moveTo('EXPIRED', `expired before ${s.expired} of ${settings.totalUnits} units settled`);
}

/**
 * The job was cancelled (its running agents with it): the state turns CANCELLED only once every
 * unit is settled, so watchers can trust it.
 */
export async function cancelled(job: JobRun): Promise<void> {
  const { s } = job;
  s.message = `cancelling: stopping ${job.running.size} running units`;
  await condition(() => job.running.size === 0, STOP_WAIT);
  job.running.clear();
  s.queue.length = 0; // still pending in Postgres: cancelled with the rest
  await endPendingUnits(job, 'cancelled');
  job.moveTo('CANCELLED', 'cancelled by request');
  await job.recordState();
  await Promise.all(job.deliveries);
}

/** Every unsettled unit ends `status`; the job's counts are then Postgres's. */
async function endPendingUnits(job: JobRun, status: 'cancelled' | 'expired'): Promise<void> {
  await forEachIdSlice(job, (range) => store.endUnfinishedUnits({ jobId: job.settings.jobId, status, ...range }));
  await reconcile(job);
}
