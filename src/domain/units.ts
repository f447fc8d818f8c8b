/**
 * Units: one work item each (a file, a row, a record, a line). Only ids, keys and short texts
 * cross the Temporal boundary; payloads stay in Postgres.
 */
export const UNIT_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];
export type UnitOutcomeStatus = Extract<UnitStatus, 'succeeded' | 'failed' | 'cancelled'>;

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
 * What a group of short units reports for each of them: succeeded (recorded), cancelled (not
 * yet recorded: the job records it), or an attempt that failed.
 */
export type GroupedUnitOutcome = UnitFinished | UnitAttemptFailed;

export interface TestUnitResult extends UnitFinished {
  templateVersion: number;
}
