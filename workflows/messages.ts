/**
 * The job workflow's messages, shared by the workflow and every client: typed updates, the status
 * query and the search attribute. The types that travel with them live in src/domain.
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import {
  UNIT_ADMITTED_SIGNAL,
  type ApproveRequest,
  type JobStatus,
  type PipelineStatus,
  type RejectRequest,
  type ResumeRequest,
} from '../src/domain/index.js';

export const statusQuery = defineQuery<JobStatus>('status');
export const approveUpdate = defineUpdate<JobStatus, [ApproveRequest]>('approve');
export const rejectUpdate = defineUpdate<JobStatus, [RejectRequest]>('reject');
export const pauseUpdate = defineUpdate<JobStatus>('pause');
export const resumeUpdate = defineUpdate<JobStatus, [ResumeRequest]>('resume');
/** From a unit's activity, in slow start: the API answered the unit (see src/domain/governor.ts). */
export const unitAdmittedSignal = defineSignal<[{ unitId: number }]>(UNIT_ADMITTED_SIGNAL);

/** The job's lifecycle state, filterable in the Web UI: AgenticBatchStatus="RUNNING". */
export const jobStatusSearchAttribute = defineSearchAttributeKey('AgenticBatchStatus', 'KEYWORD');

export const JOB_WORKFLOW_TYPE = 'jobWorkflow';

export const pipelineStatusQuery = defineQuery<PipelineStatus>('pipelineStatus');
/** Stages not started yet wait; the client pauses the running stages' jobs. */
export const pipelinePauseUpdate = defineUpdate<PipelineStatus>('pausePipeline');
export const pipelineResumeUpdate = defineUpdate<PipelineStatus>('resumePipeline');
export const PIPELINE_WORKFLOW_TYPE = 'pipelineWorkflow';
