/**
 * What the job does with a unit when its activity reports (pure, unit-tested): settle it, record
 * how it ended and settle it, or queue it to run again. Attempts are counted in one place,
 * Postgres (the agent activity fails a unit for good once its run has failed `maxAttempts`
 * times); the job counts only the API's refusals of a unit, which never count as attempts.
 */
import {
  onThrottle,
  type GovernorState,
  type GroupedUnitOutcome,
  type UnitFinished,
  type UnitThrottled,
} from '../../src/domain/index.js';

/** A unit the API refused this many times fails (a request too big for any window never passes). */
export const MAX_THROTTLES = 25;

export type Ending = 'failed' | 'cancelled' | 'expired';

export type UnitAction =
  | { do: 'settle'; finished: UnitFinished }
  /** Record how its execution ended (an attempt of it may have succeeded: that stands), then settle. */
  | { do: 'record'; status: Ending; error: string }
  | { do: 'requeue'; notBefore: number; throttles: number };

/** What a unit a group reported comes to (a refusal: `throttleAction`). */
export function groupedAction(
  outcome: Exclude<GroupedUnitOutcome, UnitThrottled>,
  ctx: { now: number; retryDelayMs: number; stoppedAs: 'cancelled' | 'expired' },
): UnitAction {
  switch (outcome.status) {
    case 'notStarted':
      return { do: 'requeue', notBefore: 0, throttles: 0 };
    case 'attemptFailed':
      // Its next attempts run on their own; the activity says when none is left.
      return outcome.retryable
        ? { do: 'requeue', notBefore: ctx.now + (outcome.nextRetryDelayMs ?? ctx.retryDelayMs), throttles: 0 }
        : { do: 'record', status: 'failed', error: outcome.error };
    case 'succeeded':
      return { do: 'settle', finished: outcome };
    default:
      // Cancelled (the job's doing) or failed, not yet recorded.
      return outcome.status === 'cancelled'
        ? { do: 'record', status: ctx.stoppedAs, error: ctx.stoppedAs }
        : { do: 'record', status: outcome.status, error: outcome.error ?? outcome.status };
  }
}

/**
 * The API refused a unit's attempt: the governor learns from it, and the unit waits its turn, or
 * fails once refused too often. A spent usage window pauses the job until `usagePauseUntil`.
 */
export function throttleAction(
  governor: GovernorState,
  outcome: UnitThrottled,
  ctx: { now: number; throttlesBefore: number; runningThen: number },
): { governor: GovernorState; action: UnitAction; usagePauseUntil: number | null } {
  const throttles = ctx.throttlesBefore + 1;
  const learned = onThrottle(governor, {
    kind: outcome.throttle,
    now: ctx.now,
    startedAt: outcome.startedAt,
    running: ctx.runningThen,
    retryAfterMs: outcome.retryAt === null ? null : Math.max(0, outcome.retryAt - ctx.now),
    unitThrottles: throttles,
  });
  if (throttles > MAX_THROTTLES) {
    const error = `${outcome.error} (refused ${throttles} times)`;
    return { governor: learned.governor, action: { do: 'record', status: 'failed', error }, usagePauseUntil: null };
  }
  return {
    governor: learned.governor,
    action: { do: 'requeue', notBefore: learned.retryAt, throttles },
    usagePauseUntil: outcome.throttle === 'usageLimited' ? learned.retryAt : null,
  };
}
