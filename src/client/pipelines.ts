/**
 * Pipelines for every front end: create one (its stages' jobs are made by the worker when their
 * turn comes), read its status with each running stage's live counts, find a stage's job (to
 * approve it, read its results), and pause, resume or cancel the whole pipeline.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  PIPELINE_WORKFLOW_TYPE,
  jobStatusSearchAttribute,
  pipelinePauseUpdate,
  pipelineResumeUpdate,
  pipelineStatusQuery,
} from '../../workflows/messages.js';
import type { pipelineWorkflow, PipelineWorkflowInput } from '../../workflows/pipelineWorkflow.js';
import { stageEnded, stageJobId, type JobStatus, type PipelineStatus, type StageStatus } from '../domain/index.js';
import { ConflictError, NotFoundError, UsageError, UserError } from '../errors.js';
import type { PipelineSpec } from '../spec/pipeline.js';
import { getJob } from '../store/jobs.js';
import { deletePipeline, getPipeline, insertPipeline } from '../store/pipelines.js';
import { firstLine } from '../temporal/connect.js';
import { checkAgentCanRun, newId, prepareJob } from './createJob.js';
import { getStatus, pauseJob, requestCancel, resumeJob } from './jobs.js';
import type { Session } from './session.js';
import { answeredByWorker } from './workerWait.js';

/** A pipeline's id; its stages' jobs are PIPELINE.STAGE. */
export const isPipelineId = (id: string): boolean => id.startsWith('pipe-') && !id.includes('.');

/** What can be checked before a server is contacted: the first stages' sources, every stage's agent. */
export async function preparePipeline(spec: PipelineSpec): Promise<void> {
  for (const stage of spec.stages) {
    if (stage.spec.source.type === 'stage') await checkAgentCanRun(stage.spec);
    else await prepareJob(stage.spec);
  }
}

export async function createPipeline(session: Session, spec: PipelineSpec): Promise<{ pipelineId: string }> {
  const pipelineId = newId('pipe', spec.name);
  await insertPipeline(session.db, { id: pipelineId, name: spec.name, spec });
  const input: PipelineWorkflowInput = {
    pipelineId,
    name: spec.name,
    stages: spec.stages.map(({ name, needs, continueOnFailure }) => ({ name, needs, continueOnFailure })),
  };
  try {
    await session.client.workflow.start<typeof pipelineWorkflow>(PIPELINE_WORKFLOW_TYPE, {
      workflowId: pipelineId,
      taskQueue: session.config.taskQueue,
      args: [input],
      staticSummary: `pipeline ${spec.name}: ${spec.stages.map((s) => s.name).join(' → ')}`,
      typedSearchAttributes: [{ key: jobStatusSearchAttribute, value: 'RUNNING' }],
    });
  } catch (err) {
    await deletePipeline(session.db, pipelineId);
    throw new UserError(`could not start pipeline ${pipelineId}: ${firstLine(err)}`);
  }
  return { pipelineId };
}

function pipelineHandle(session: Session, id: string): WorkflowHandle<typeof pipelineWorkflow> {
  return session.client.workflow.getHandle<typeof pipelineWorkflow>(id);
}

/** A stage with its job's live status, when it has a job that is running. */
export interface LiveStage extends StageStatus {
  job: JobStatus | null;
}

/** The pipeline's status; each stage that has a job carries that job's status. */
export async function getPipelineStatus(
  session: Session,
  id: string,
): Promise<Omit<PipelineStatus, 'stages'> & { stages: LiveStage[] }> {
  const status = await readPipeline(session, id);
  const stages = await Promise.all(
    status.stages.map(async (stage): Promise<LiveStage> => {
      const job = stage.jobId ? await getStatus(session, stage.jobId).catch(() => null) : null;
      if (!job) return { ...stage, job: null };
      return { ...stage, job, state: stageEnded(stage.state) ? stage.state : job.state, costUsd: job.costUsd };
    }),
  );
  return { ...status, stages };
}

async function readPipeline(session: Session, id: string): Promise<PipelineStatus> {
  try {
    return await session.client.connection.withDeadline(Date.now() + 10_000, () =>
      pipelineHandle(session, id).query(pipelineStatusQuery),
    );
  } catch (err) {
    const row = await getPipeline(session.db, id);
    if (!row) {
      if (err instanceof WorkflowNotFoundError)
        throw new NotFoundError(`no pipeline ${id}`, 'list jobs and pipelines with `agentic-batch list`');
      throw new UserError(`cannot read the status of ${id}: ${firstLine(err)}`, 'is a worker running?');
    }
    // The workflow is gone (retention): what Postgres kept.
    const spec = row.spec as PipelineSpec;
    return {
      pipelineId: id,
      name: row.name,
      state: row.state as PipelineStatus['state'],
      message: row.message,
      stages: await Promise.all(
        spec.stages.map(async ({ name, needs, continueOnFailure }) => {
          const job = await getJob(session.db, stageJobId(id, name));
          return {
            name,
            needs,
            continueOnFailure,
            state: job?.state ?? 'SKIPPED',
            jobId: job?.id ?? null,
            message: job?.message ?? null,
            counts: null,
            costUsd: job?.costUsd ?? 0,
          };
        }),
      ),
    };
  }
}

/** The pipeline as the dashboard draws it: each stage with its needs, state, counts and cost. */
export async function pipelineView(session: Session, id: string) {
  const status = await getPipelineStatus(session, id);
  return {
    pipelineId: status.pipelineId,
    name: status.name,
    state: status.state,
    message: status.message,
    stages: status.stages.map((s) => ({
      name: s.name,
      needs: s.needs,
      state: s.state,
      jobId: s.jobId,
      message: s.message,
      counts: s.job?.counts ?? s.counts,
      costUsd: s.costUsd,
    })),
  };
}

/** The job of a pipeline's stage, once it has one. */
export async function stageJob(session: Session, pipelineId: string, stage: string | undefined): Promise<string> {
  const status = await readPipeline(session, pipelineId);
  const names = status.stages.map((s) => s.name);
  if (stage === undefined)
    throw new UsageError(
      `${pipelineId} is a pipeline: say which stage with --stage`,
      `its stages: ${names.join(', ')}`,
    );
  const found = status.stages.find((s) => s.name === stage);
  if (!found) throw new UsageError(`pipeline ${pipelineId} has no stage ${stage}`, `its stages: ${names.join(', ')}`);
  if (!found.jobId) {
    throw new UserError(
      `stage ${stage} of ${pipelineId} is ${found.state}${found.message ? ` (${found.message})` : ''}: it has no job yet`,
      `follow the pipeline with \`agentic-batch status ${pipelineId}\``,
    );
  }
  return found.jobId;
}

/** Pause: stages not started yet wait, and the running stages' jobs pause. */
export async function pausePipeline(session: Session, id: string) {
  await pipelineUpdate(session, id, (h) => h.executeUpdate(pipelinePauseUpdate));
  await eachRunningStage(session, id, (jobId) => pauseJob(session, jobId));
  return getPipelineStatus(session, id);
}

export async function resumePipeline(session: Session, id: string) {
  await pipelineUpdate(session, id, (h) => h.executeUpdate(pipelineResumeUpdate));
  await eachRunningStage(session, id, (jobId) => resumeJob(session, jobId));
  return getPipelineStatus(session, id);
}

/** Cancel: the running stages' jobs are cancelled with the pipeline, the stages not started end CANCELLED. */
export async function cancelPipeline(session: Session, id: string): Promise<void> {
  await readPipeline(session, id);
  await requestCancel(pipelineHandle(session, id), id);
}

/** Each stage whose job is running or paused; a stage whose job cannot take the move is left as it is. */
async function eachRunningStage(session: Session, id: string, act: (jobId: string) => Promise<unknown>) {
  const { stages } = await getPipelineStatus(session, id);
  for (const stage of stages) {
    if (stage.jobId && stage.job && (stage.job.state === 'RUNNING' || stage.job.state === 'PAUSED'))
      await act(stage.jobId).catch((err: unknown) => {
        if (!(err instanceof UserError)) throw err;
      });
  }
}

async function pipelineUpdate(
  session: Session,
  id: string,
  run: (h: WorkflowHandle<typeof pipelineWorkflow>) => Promise<PipelineStatus>,
): Promise<void> {
  try {
    await answeredByWorker(session, `the request to ${id}`, () => run(pipelineHandle(session, id)));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new ConflictError(`${id}: ${err.cause?.message ?? err.message}`);
    if (err instanceof WorkflowNotFoundError) {
      const { state } = await readPipeline(session, id);
      throw new ConflictError(`${id} has already ended (${state})`, `see it with \`agentic-batch status ${id}\``);
    }
    throw err;
  }
}
