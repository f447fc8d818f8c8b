/** A pipeline as its workflow runs it and every front end reads it. */
import type { JobState } from './lifecycle.js';
import type { UnitCounts } from './units.js';

/**
 * A stage waits for its needs, has its job made (STARTING), then has its job's state; SKIPPED
 * when a need ended FAILED, CANCELLED or EXPIRED (or was skipped) without `continueOnFailure`.
 */
export type StageState = 'WAITING' | 'STARTING' | JobState | 'SKIPPED';

export type PipelineState = 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface PipelineStageInput {
  name: string;
  needs: string[];
  continueOnFailure: boolean;
}

export interface StageStatus extends PipelineStageInput {
  state: StageState;
  /** Its job, once made. */
  jobId: string | null;
  /** Why it was skipped or failed, or its job's message. */
  message: string | null;
  /** Its job's, when it ended (a running stage's are its job's own status). */
  counts: UnitCounts | null;
  costUsd: number;
}

export interface PipelineStatus {
  pipelineId: string;
  name: string;
  state: PipelineState;
  message: string | null;
  stages: StageStatus[];
}

/** A stage's job id: known before the job exists, so making it is idempotent (a pipeline's id has no dot). */
export function stageJobId(pipelineId: string, stage: string): string {
  return `${pipelineId}.${stage}`;
}

/** The pipeline and stage a job is of, read back from its id; null for a job of its own. */
export function stageOfJob(jobId: string): { pipelineId: string; stage: string } | null {
  const dot = jobId.indexOf('.');
  return jobId.startsWith('pipe-') && dot > 0 ? { pipelineId: jobId.slice(0, dot), stage: jobId.slice(dot + 1) } : null;
}

export const ENDED_STAGE_STATES: readonly StageState[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED', 'SKIPPED'];

export function stageEnded(state: StageState): boolean {
  return ENDED_STAGE_STATES.includes(state);
}

/** Whether a stage that ended so lets its dependents run. */
export function letsDependentsRun(stage: Pick<StageStatus, 'state' | 'continueOnFailure'>): boolean {
  if (stage.state === 'COMPLETED') return true;
  return stage.state !== 'SKIPPED' && stage.continueOnFailure;
}
