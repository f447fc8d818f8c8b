/**
 * A pipeline's side effects: making a stage's job when its turn comes (its units read from its
 * source, or from the upstream stage's job for a `stage` source), and recording the pipeline's
 * state. Making a stage's job is idempotent: its id is fixed, and a job already made is returned.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { stageJobId, type JobSettings, type PipelineState, type UnitStatus } from '../src/domain/index.js';
import { UserError } from '../src/errors.js';
import { SourceError, sourceKind, type SourceRecord } from '../src/sources/index.js';
import { checkedUnits, jobSettings } from '../src/spec/jobPlan.js';
import type { PipelineSpec } from '../src/spec/pipeline.js';
import { DuplicateKeyError, insertJob } from '../src/store/insertJob.js';
import { getJob } from '../src/store/jobs.js';
import { getPipeline, recordPipelineState, streamUpstreamUnits } from '../src/store/pipelines.js';
import type { ActivityDeps } from './index.js';

export interface CreateStageJobInput {
  pipelineId: string;
  stage: string;
}

export function createPipelineActivities({ db }: Pick<ActivityDeps, 'db'>) {
  /** The upstream stage's units in a status, as a downstream stage's records. */
  const upstream = (pipelineId: string) =>
    async function* (stage: string, status: string): AsyncGenerator<SourceRecord> {
      for await (const u of streamUpstreamUnits(db, stageJobId(pipelineId, stage), status as UnitStatus)) {
        yield {
          payload: { ...u.payload, result: u.result, output: u.output ?? null, upstream_status: u.status },
          origin: `unit ${u.key} of stage ${stage}`,
          naturalKey: u.key,
        };
      }
    };

  return {
    /** The stage's job, stored with its units; the settings its workflow starts with. */
    async createStageJob(
      input: CreateStageJobInput,
    ): Promise<{ jobId: string; settings: JobSettings; summary: string }> {
      const pipeline = await getPipeline(db, input.pipelineId);
      const stage = (pipeline?.spec as PipelineSpec | undefined)?.stages.find((s) => s.name === input.stage);
      if (!stage)
        throw ApplicationFailure.nonRetryable(`pipeline ${input.pipelineId} has no stage ${input.stage}`, 'NoStage');
      const { spec } = stage;
      const jobId = stageJobId(input.pipelineId, stage.name);
      const made = await getJob(db, jobId);
      const summary = (total: number) =>
        `${stage.name}: ${total} units — ${sourceKind(spec.source).describe(spec.source)}`;
      if (made)
        return { jobId, settings: jobSettings(jobId, spec, made.totalUnits), summary: summary(made.totalUnits) };
      try {
        const total = await insertJob(
          db,
          {
            id: jobId,
            name: `${pipeline!.name}.${stage.name}`,
            spec,
            sourceType: spec.source.type,
            template: spec.prompt,
            pipeline: { id: input.pipelineId, stage: stage.name },
          },
          checkedUnits(spec, { upstream: upstream(input.pipelineId) }),
        );
        return { jobId, settings: jobSettings(jobId, spec, total), summary: summary(total) };
      } catch (err) {
        // What is wrong with the stage's input does not get better by trying again.
        if (err instanceof SourceError || err instanceof UserError || err instanceof DuplicateKeyError) {
          const hint = 'hint' in err && err.hint ? ` (${err.hint})` : '';
          throw ApplicationFailure.nonRetryable(`${err.message}${hint}`, 'StageInputInvalid');
        }
        throw err;
      }
    },

    async recordPipelineState(input: { pipelineId: string; state: PipelineState; message: string | null }) {
      await recordPipelineState(db, input.pipelineId, input.state, input.message);
    },
  };
}
