/**
 * Units: one work item each (a file, a row, a record, a line). Only ids, keys and short texts
 * cross the Temporal boundary; payloads stay in Postgres.
 */
import type { ThrottleKind } from './governor.js';

export const UNIT_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'expired'] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];
export type UnitOutcomeStatus = Extract<UnitStatus, 'succeeded' | 'failed' | 'cancelled' | 'expired'>;

/** Longest key a unit may have: keys name files, rows and batch-API custom ids. */
export const MAX_KEY_LENGTH = 512;

/** A record as a source produced it: what the agent works on. */
export type UnitPayload = Record<string, unknown>;

/** A unit about to be stored: its key and payload, and where it came from ("line 7"), for messages. */
export interface NewUnit {
  key: string;
  payload: UnitPayload;
  origin: string;
}

export interface UnitCounts {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Unsettled when the job expired. */
  expired: number;
}

/** A unit as the job workflow sees it: its id (1-based order within the job) and its key. */
export interface UnitRef {
  unitId: number;
  key: string;
}

export type Phase = 'test' | 'batch';

export interface UnitFinished extends UnitRef {
  phase: Phase;
  status: UnitOutcomeStatus;
  costUsd: number;
  error: string | null;
  /** How long the agent ran, when it did: what tells the job its units are short. */
  durationMs?: number | null;
}

/** An attempt of a unit run in a group failed: the job decides whether the unit runs again. */
export interface UnitAttemptFailed extends UnitRef {
  phase: Phase;
  status: 'attemptFailed';
  error: string;
  retryable: boolean;
  nextRetryDelayMs: number | null;
}

/**
 * The API refused a unit's attempt (rate limit, overload, usage limit): the attempt is recorded,
 * does not count against the unit's attempts, and goes back to the job, whose governor decides
 * when it runs again.
 */
export interface UnitThrottled extends UnitRef {
  phase: Phase;
  status: 'throttled';
  throttle: ThrottleKind;
  error: string;
  /** When the API said to come back (retry-after, a usage limit's reset), epoch ms. */
  retryAt: number | null;
  /** When the attempt started, epoch ms. */
  startedAt: number;
  /** Attempts the activity made, the throttled one last (earlier ones failed otherwise). */
  attempts: number;
}

/** A unit a group never started, because an earlier unit of it was throttled. */
export interface UnitNotStarted extends UnitRef {
  phase: Phase;
  status: 'notStarted';
}

/** What a single unit's activity reports. */
export type UnitOutcome = UnitFinished | UnitThrottled;

/**
 * What a group of short units reports for each of them: succeeded (recorded), cancelled (not
 * yet recorded: the job records it), an attempt that failed or was throttled, or not started.
 */
export type GroupedUnitOutcome = UnitFinished | UnitAttemptFailed | UnitThrottled | UnitNotStarted;

export interface TestUnitResult extends UnitFinished {
  templateVersion: number;
}
