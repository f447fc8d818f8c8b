/**
 * One workflow per pipeline: each stage's job is a child `jobWorkflow`, started once every stage
 * it needs has ended (stages without dependencies between them run at the same time), so the Web
 * UI shows the pipeline as the parent of its stages. A stage whose need ended FAILED, CANCELLED
 * or EXPIRED (or was skipped) is SKIPPED unless that need says `continueOnFailure`. Each stage
 * keeps its own test-and-approve gate (its job's). Pausing holds stages not started yet;
 * cancelling cancels the running stages' jobs and ends the rest CANCELLED.
 */
import {
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  CancellationScope,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../activities/index.js';
import {
  letsDependentsRun,
  stageEnded,
  type JobStatus,
  type PipelineStageInput,
  type PipelineState,
  type PipelineStatus,
  type StageStatus,
} from '../src/domain/index.js';
import { describeFailure } from './describeFailure.js';
import type { jobWorkflow } from './job/jobWorkflow.js';
import {
  JOB_WORKFLOW_TYPE,
  jobStatusSearchAttribute,
  pipelinePauseUpdate,
  pipelineResumeUpdate,
  pipelineStatusQuery,
} from './messages.js';

export interface PipelineWorkflowInput {
  pipelineId: string;
  name: string;
  /** Every stage after its needs. */
  stages: PipelineStageInput[];
}

/** Making a stage's job reads its whole source: minutes for a big one. */
const { createStageJob } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '30 minutes',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['StageInputInvalid', 'NoStage'] },
});
const store = proxyLocalActivities<PipelineActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumInterval: '30s' },
});

export async function pipelineWorkflow({
  pipelineId,
  name,
  stages: inputs,
}: PipelineWorkflowInput): Promise<PipelineStatus> {
  const stages: StageStatus[] = inputs.map((s) => ({
    ...s,
    state: 'WAITING',
    jobId: null,
    message: null,
    counts: null,
    costUsd: 0,
  }));
  const byName = new Map(stages.map((s) => [s.name, s]));
  let paused = false;
  let state: PipelineState = 'RUNNING';
  let message: string | null = null;
  let changed = false;

  const status = (): PipelineStatus => ({
    pipelineId,
    name,
    state: state === 'RUNNING' && paused ? 'PAUSED' : state,
    message,
    stages,
  });
  setHandler(pipelineStatusQuery, status);
  setHandler(pipelinePauseUpdate, () => {
    paused = true;
    return status();
  });
  setHandler(pipelineResumeUpdate, () => {
    paused = false;
    changed = true;
    return status();
  });

  const running = new Set<Promise<void>>();

  /** Make the stage's job, then run it as a child workflow to its end. */
  const run = async (stage: StageStatus): Promise<void> => {
    stage.state = 'STARTING';
    try {
      const made = await createStageJob({ pipelineId, stage: stage.name });
      stage.jobId = made.jobId;
      stage.state = 'CREATED';
      const ended: JobStatus = await executeChild<typeof jobWorkflow>(JOB_WORKFLOW_TYPE, {
        workflowId: made.jobId,
        args: [{ settings: made.settings }],
        staticSummary: made.summary,
        typedSearchAttributes: [{ key: jobStatusSearchAttribute, value: 'CREATED' }],
      });
      Object.assign(stage, {
        state: ended.state,
        message: ended.message,
        counts: ended.counts,
        costUsd: ended.costUsd,
      });
    } catch (err) {
      const cancelled = isCancellation(err) || (err instanceof ChildWorkflowFailure && isCancellation(err.cause));
      stage.state = cancelled ? 'CANCELLED' : 'FAILED';
      stage.message = cancelled ? 'cancelled' : describeFailure(err);
    }
    changed = true;
  };

  /** Start every stage whose needs have ended; skip those a need stops. */
  const advance = (): void => {
    for (const stage of stages) {
      if (stage.state !== 'WAITING') continue;
      const needs = stage.needs.map((n) => byName.get(n)!);
      if (!needs.every((n) => stageEnded(n.state))) continue;
      const stopper = needs.find((n) => !letsDependentsRun(n));
      if (stopper) {
        stage.state = 'SKIPPED';
        stage.message = `skipped: stage ${stopper.name} ended ${stopper.state}`;
        changed = true;
        continue;
      }
      if (paused) continue;
      const started = run(stage);
      running.add(started);
      void started.finally(() => running.delete(started));
    }
  };

  try {
    for (;;) {
      changed = false;
      advance();
      if (stages.every((s) => stageEnded(s.state))) break;
      await condition(() => changed);
    }
    const failed = stages.filter((s) => s.state !== 'COMPLETED');
    state = failed.length === 0 ? 'COMPLETED' : 'FAILED';
    message = failed.length === 0 ? null : failed.map((s) => `${s.name} ${s.state}`).join(', ');
    await store.recordPipelineState({ pipelineId, state, message });
    return status();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(async () => {
      // The running stages' jobs were cancelled with the pipeline: wait for them to say so.
      await condition(() => running.size === 0, '5 minutes');
      for (const stage of stages) {
        if (!stageEnded(stage.state)) Object.assign(stage, { state: 'CANCELLED', message: 'cancelled' });
      }
      state = 'CANCELLED';
      message = 'cancelled by request';
      await store.recordPipelineState({ pipelineId, state, message });
    });
    throw err;
  }
}
