/** What a command's JOB argument names: a job, or with `--stage` a pipeline's stage (its job). */
import { isPipelineId, stageJob } from '../client/pipelines.js';
import type { Session } from '../client/session.js';
import { UsageError } from '../errors.js';

export const STAGE_OPTION = [
  '--stage <name>',
  "a pipeline's stage (with a pipeline id): act on that stage's job",
] as const;

export async function jobOf(session: Session, id: string, stage: string | undefined): Promise<string> {
  if (isPipelineId(id)) return stageJob(session, id, stage);
  if (stage !== undefined) throw new UsageError(`--stage is for pipelines, and ${id} is a job`);
  return id;
}
