/**
 * What a job's run hands to the next one through continue-as-new (no unit is in flight then),
 * and the workflow's input. A run of version 2 may be continued from one of version 1 (whose
 * queue entries counted attempts: version 2 counts them in Postgres), so every field a later
 * version adds must have a default here.
 */
import {
  newBreaker,
  newGovernor,
  type BreakerState,
  type AggregateStatus,
  type GovernorState,
  type JobSettings,
  type JobState,
  type Phase,
  type RejectRequest,
  type TestUnitResult,
  type UnitOutcomeStatus,
  type UnitRef,
  type WebhookStatus,
} from '../../src/domain/index.js';

/** A unit waiting to run again: refused by the API, failed inside a group, or a group never started it. */
export interface QueuedUnit extends UnitRef {
  phase: Phase;
  runKey: string;
  /** Times the API refused it. */
  throttles: number;
  /** Not before this (epoch ms). */
  notBefore: number;
  /** Times it was queued in this job: its activity's id says which start it is. */
  again: number;
}

export interface CarriedState {
  state: JobState;
  templateVersion: number;
  budgetUsd: number | null;
  costUsd: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  expired: number;
  /** Highest unit id started in the batch; the next page starts after it. */
  cursor: number;
  testsStarted: boolean;
  testResults: TestUnitResult[];
  revision: (RejectRequest & { revisionId: string }) | null;
  message: string | null;
  /** How long units take, a moving average of the recent ones (null until one has run). */
  unitMs: number | null;
  /** How many units the API lets run at once, as learned. */
  governor: GovernorState;
  /** Units to run again before new ones. */
  queue: QueuedUnit[];
  /** A spent usage window paused the job until then (epoch ms); it resumes by itself. */
  pausedUntil: number | null;
  webhook: WebhookStatus;
  /** The aggregate step, when the spec has one. */
  aggregate: AggregateStatus | null;
  /** What the breaker remembers of the last settled units (jobs before it: a fresh one). */
  breaker: BreakerState;
}

export interface JobWorkflowInput {
  settings: JobSettings;
  carried?: CarriedState;
  /** `retry`: a new run of an ended job, running its units in these states again. */
  retry?: { statuses: Exclude<UnitOutcomeStatus, 'succeeded'>[] };
}

/** A new job's state, or the carried one with defaults for what its version lacked. */
export function initialState(settings: JobSettings, carried?: Partial<CarriedState>): CarriedState {
  const state: CarriedState = {
    state: 'CREATED',
    templateVersion: 1,
    budgetUsd: settings.budgetUsd,
    costUsd: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    expired: 0,
    cursor: 0,
    testsStarted: false,
    testResults: [],
    revision: null,
    message: null,
    unitMs: null,
    governor: newGovernor(
      settings.concurrency,
      settings.requestsPerMinute ?? null,
      settings.agentReportsAdmission ?? false,
    ),
    queue: [],
    pausedUntil: null,
    webhook: { delivered: 0, failed: 0, lastError: null },
    aggregate: settings.aggregate ? { state: 'pending', error: null, report: null } : null,
    breaker: newBreaker(),
    ...carried,
  };
  // Version 1's entries also carried `attempts` and `counted`: Postgres counts them now.
  state.queue = state.queue.map(({ unitId, key, phase, runKey, throttles, notBefore, again }) => ({
    unitId,
    key,
    phase,
    runKey,
    throttles: throttles ?? 0,
    notBefore: notBefore ?? 0,
    again: again ?? 0,
  }));
  return state;
}
