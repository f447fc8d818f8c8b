/**
 * The breaker in a running job (the rule is src/domain/breaker.ts): every settled batch unit is
 * remembered, and a window that fails one way pauses the job with the reason and tells the
 * webhook. Jobs created before the breaker carry no `breaker` setting and never trip; a job
 * created with one but run for a while by a build without it replays that part without it (its
 * pause would be a command the history lacks): the patch says from where it may trip.
 */
import { patched } from '@temporalio/workflow';
import {
  breakerTrip,
  describeTrip,
  onResumed,
  onUnitSettled,
  type BreakerStatus,
  type UnitFinished,
} from '../../src/domain/index.js';
import type { JobRun } from './jobRun.js';

/** Marks where a job's run first could trip (the id never changes: histories hold it). */
export const BREAKER_PATCH = 'job-breaker';

export function watchBreaker(job: JobRun, finished: UnitFinished): void {
  const { s, settings } = job;
  if (!settings.breaker || finished.phase !== 'batch') return;
  s.breaker = onUnitSettled(s.breaker, settings.breaker, finished);
  if (s.state !== 'RUNNING') return;
  const trip = breakerTrip(s.breaker, settings.breaker, Date.now());
  if (!trip || !patched(BREAKER_PATCH)) return;
  s.breaker = { ...s.breaker, tripped: trip };
  job.moveTo('PAUSED', describeTrip(trip));
  job.notify('paused');
}

/** Resumed: a fresh window, and with `ignore` no more trips in this job. */
export function resumeBreaker(job: JobRun, ignore: boolean): void {
  job.s.breaker = onResumed(job.s.breaker, ignore);
}

export function breakerStatus(job: JobRun): BreakerStatus | null {
  const { breaker } = job.settings;
  if (!breaker) return null;
  const { ignored, tripped } = job.s.breaker;
  return { ...breaker, ignored, tripped };
}
