/**
 * Everything the client and the workflows share: message definitions and the small
 * serializable types that cross the Temporal boundary. Payloads stay in Postgres; only ids,
 * keys, counters and short texts travel here, so histories stay small.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { JobState } from './lifecycle.js';

export type { JobState } from './lifecycle.js';

export const UNIT_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];
export type UnitOutcomeStatus = Extract<UnitStatus, 'succeeded' | 'failed' | 'cancelled'>;

export interface UnitCounts {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

/** How each unit's agent activity is scheduled; the agent's own options live in Postgres. */
export interface UnitRunSettings {
  timeoutSeconds: number;
  heartbeatTimeoutSeconds: number;
  maxAttempts: number;
  retryInitialIntervalSeconds: number;
}

export interface JobSettings {
  jobId: string;
  name: string;
  totalUnits: number;
  concurrency: number;
  testUnits: number;
  budgetUsd: number | null;
  unit: UnitRunSettings;
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
}

export interface TestUnitResult extends UnitFinished {
  templateVersion: number;
}

export interface JobStatus {
  jobId: string;
  name: string;
  state: JobState;
  counts: UnitCounts;
  costUsd: number;
  budgetUsd: number | null;
  concurrency: number;
  templateVersion: number;
  testResults: TestUnitResult[];
  /** Why the job is PAUSED, FAILED or back in READY (e.g. "budget reached"), if it says. */
  message: string | null;
}

export interface RejectRequest {
  feedback: string;
  /** A revised prompt template; without one the same template is tested again. */
  prompt?: string;
}

export interface ResumeRequest {
  /** Raise the budget while resuming a job that paused on it. */
  budgetUsd?: number;
}

export const statusQuery = defineQuery<JobStatus>('status');
export const approveUpdate = defineUpdate<JobStatus>('approve');
export const rejectUpdate = defineUpdate<JobStatus, [RejectRequest]>('reject');
export const pauseUpdate = defineUpdate<JobStatus>('pause');
export const resumeUpdate = defineUpdate<JobStatus, [ResumeRequest]>('resume');

/** The job's lifecycle state, filterable in the Web UI: AgenticBatchStatus="RUNNING". */
export const jobStatusSearchAttribute = defineSearchAttributeKey('AgenticBatchStatus', 'KEYWORD');

export const JOB_WORKFLOW_TYPE = 'jobWorkflow';
