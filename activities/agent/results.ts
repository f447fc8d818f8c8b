/**
 * How one attempt of one unit ended, as a typed union (the attempt code never throws for an
 * outcome), and the one place it becomes what an activity reports: a value, or a thrown
 * `ApplicationFailure` / `CancelledFailure` under Temporal's retry policy.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import {
  AGENT_ERROR_TYPES,
  type GroupedUnitOutcome,
  type Phase,
  type ThrottleKind,
  type UnitOutcome,
  type UnitOutcomeStatus,
  type UnitRef,
} from '../../src/domain/index.js';

export type AttemptResult =
  /** Recorded and settled; `durationMs`: how long the agent ran (null when it did not run again). */
  | { kind: 'succeeded'; costUsd: number; durationMs: number | null }
  /** The API refused it for now: for the job's governor. */
  | { kind: 'throttled'; throttle: ThrottleKind; error: string; retryAt: number | null; startedAt: number }
  | { kind: 'failed'; type: string; message: string; retryable: boolean; nextRetryDelayMs?: number }
  /** The job cancelled it. */
  | { kind: 'cancelled' }
  /** Cut off by something other than the job (the worker shutting down, a lost heartbeat): runs again elsewhere. */
  | { kind: 'interrupted'; message: string }
  /** Nothing to do: the job had settled the unit without success (this attempt is a stale one). */
  | { kind: 'settled'; status: Exclude<UnitOutcomeStatus, 'succeeded'> };

export const failed = (
  type: string,
  message: string,
  retryable: boolean,
  nextRetryDelayMs?: number,
): AttemptResult => ({
  kind: 'failed',
  type,
  message,
  retryable,
  ...(nextRetryDelayMs === undefined ? {} : { nextRetryDelayMs }),
});

/** A database write or read failed (Postgres restarting, a timeout): the attempt runs again. */
export function storeFailure(err: unknown): AttemptResult {
  const message = err instanceof Error ? err.message : String(err);
  return failed(AGENT_ERROR_TYPES.storeUnavailable, `the database could not be reached: ${message}`, true);
}

const UNIT_SETTLED = 'UnitSettled';

interface Unit extends UnitRef {
  phase: Phase;
}

/** A single unit's activity: a value for a success or a refusal, else what it throws. */
export function activityOutcome(unit: Unit, result: AttemptResult, activityAttempt: number): UnitOutcome {
  switch (result.kind) {
    case 'succeeded':
      return { ...unit, status: 'succeeded', costUsd: result.costUsd, error: null, durationMs: result.durationMs };
    case 'throttled':
      return { ...unit, status: 'throttled', ...withoutKind(result), attempts: activityAttempt };
    case 'settled':
      // A stale attempt: Temporal drops what it reports, and it must not pass for a success.
      throw ApplicationFailure.nonRetryable(`the unit was already ${result.status}`, UNIT_SETTLED);
    default:
      throw activityFailure(result);
  }
}

/** What a unit of a group reports to the job (a failure is the job's to retry). */
export function groupedOutcome(unit: Unit, result: AttemptResult): GroupedUnitOutcome {
  switch (result.kind) {
    case 'succeeded':
      return { ...unit, status: 'succeeded', costUsd: result.costUsd, error: null, durationMs: result.durationMs };
    case 'throttled':
      return { ...unit, status: 'throttled', ...withoutKind(result), attempts: 1 };
    case 'failed':
      return {
        ...unit,
        status: 'attemptFailed',
        error: `${result.type}: ${result.message}`,
        retryable: result.retryable,
        nextRetryDelayMs: result.nextRetryDelayMs ?? null,
      };
    case 'cancelled':
      return { ...unit, status: 'cancelled', costUsd: 0, error: 'cancelled' };
    case 'settled':
      // The job stopped it meanwhile (cancelled, expired), or a stale group: the job keeps its state.
      return result.status === 'failed'
        ? {
            ...unit,
            status: 'attemptFailed',
            error: `${UNIT_SETTLED}: the unit had failed`,
            retryable: false,
            nextRetryDelayMs: null,
          }
        : { ...unit, status: 'cancelled', costUsd: 0, error: result.status };
    case 'interrupted':
      throw activityFailure(result);
  }
}

/** The error an activity ends with for a result that is not a value. */
export function activityFailure(
  result: Exclude<AttemptResult, { kind: 'succeeded' | 'throttled' | 'settled' }>,
): Error {
  switch (result.kind) {
    case 'cancelled':
      return new CancelledFailure('cancelled');
    case 'interrupted':
      // It still counts as an attempt: Temporal has no uncounted kind.
      return ApplicationFailure.retryable(result.message, AGENT_ERROR_TYPES.interrupted);
    case 'failed':
      return ApplicationFailure.create({
        type: result.type,
        message: result.message,
        nonRetryable: !result.retryable,
        nextRetryDelay: result.nextRetryDelayMs,
      });
  }
}

function withoutKind<T extends { kind: string }>(result: T): Omit<T, 'kind'> {
  const { kind: _kind, ...rest } = result;
  return rest;
}
