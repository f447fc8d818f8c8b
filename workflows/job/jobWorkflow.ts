/**
 * One workflow per job, behind a version gate. A job runs the version of the workflow it started
 * on until it ends or continues-as-new, whatever build replays it: `patched(V)` is true for a run
 * that began on a build with version V (its history has the marker), and false while replaying a
 * history from before V. Version 1 (2b7a411, unversioned) is kept frozen in v1/; version 2 is
 * JobRun. A change to the commands a version issues makes a new version here (docs/lifecycle.md,
 * "Upgrading while jobs run"); the replay fixtures of every released version must still replay.
 */
import { patched } from '@temporalio/workflow';
import type { JobStatus } from '../../src/domain/index.js';
import type { JobWorkflowInput } from './carried.js';
import { JobRun } from './jobRun.js';
import { jobWorkflowV1, type JobWorkflowInputV1 } from './v1/jobWorkflowV1.js';

/** The marker of version 2 (the versions' ids never change: histories hold them). */
export const JOB_RUN_V2 = 'job-run-v2';

export type { JobWorkflowInput };

export async function jobWorkflow(input: JobWorkflowInput): Promise<JobStatus> {
  if (!patched(JOB_RUN_V2)) return jobWorkflowV1(input as JobWorkflowInputV1);
  return new JobRun(input).run();
}
