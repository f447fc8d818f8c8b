/**
 * The client API for jobs: create one, read its status, and drive its lifecycle. The CLI is a
 * thin layer over this; scripts can import it too.
 */
import { randomBytes } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { UsageError, UserError } from '../errors.js';
import type { JobSpec } from '../spec/schema.js';
import { TemplateError, validateTemplate } from '../spec/template.js';
import { SourceError, sourceFor } from '../sources/index.js';
import { deleteJob, getJob, insertJob, type NewUnit } from '../store/jobs.js';
import { unitTotals } from '../store/units.js';
import { firstLine } from '../temporal/connect.js';
import type { jobWorkflow } from '../../workflows/jobWorkflow.js';
import {
  approveUpdate,
  jobStatusSearchAttribute,
  JOB_WORKFLOW_TYPE,
  pauseUpdate,
  rejectUpdate,
  resumeUpdate,
  statusQuery,
  type JobSettings,
  type JobStatus,
  type RejectRequest,
  type ResumeRequest,
} from '../../workflows/messages.js';
import type { Session } from './session.js';

export function newJobId(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'job';
  return `job-${slug}-${randomBytes(4).toString('hex').slice(0, 6)}`;
}

export function jobSettings(jobId: string, spec: JobSpec, totalUnits: number): JobSettings {
  return {
    jobId,
    name: spec.name,
    totalUnits,
    concurrency: spec.concurrency,
    testUnits: spec.testUnits,
    budgetUsd: spec.budgetUsd ?? null,
    unit: {
      timeoutSeconds: spec.agent.timeoutSeconds,
      heartbeatTimeoutSeconds: spec.agent.heartbeatTimeoutSeconds,
      maxAttempts: spec.retries + 1,
      retryInitialIntervalSeconds: spec.agent.retryDelaySeconds,
    },
  };
}

/** Enumerate the units; a source problem is the user's to fix (exit 2). */
async function enumerateUnits(spec: JobSpec): Promise<NewUnit[]> {
  try {
    return await sourceFor(spec.source).enumerate(spec.source);
  } catch (err) {
    if (err instanceof SourceError) throw new UsageError(err.message, err.hint);
    throw err;
  }
}

/** The agent binary must exist before a job is created, or every unit would fail the same way. */
async function checkAgentBinary(spec: JobSpec, defaultBin: string): Promise<void> {
  const bin = spec.agent.bin ?? defaultBin;
  const candidates = bin.includes('/') ? [bin] : (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, bin));
  const executable = (file: string) => access(file, constants.X_OK).then(() => true, () => false);
  const runnable = (await Promise.all(candidates.map(executable))).some(Boolean);
  if (!runnable) {
    throw new UserError(
      `the agent binary ${bin} was not found or is not executable`,
      'run `npm ci` (it installs @anthropic-ai/claude-code), or set CLAUDE_BIN / --claude-bin',
    );
  }
}

export interface CreatedJob {
  jobId: string;
  totalUnits: number;
}

/** Everything that can be checked without a server: the units exist and the agent can run. */
export async function prepareJob(spec: JobSpec, defaultAgentBin: string): Promise<NewUnit[]> {
  const units = await enumerateUnits(spec);
  await checkAgentBinary(spec, defaultAgentBin);
  return units;
}

/** Store the job and its units, then start its workflow; on any failure nothing is left behind. */
export async function createJob(session: Session, spec: JobSpec, units: readonly NewUnit[]): Promise<CreatedJob> {
  const jobId = newJobId(spec.name);
  await insertJob(session.db, {
    id: jobId,
    name: spec.name,
    spec,
    sourceType: spec.source.type,
    template: spec.prompt,
    units,
  });
  try {
    await session.client.workflow.start<typeof jobWorkflow>(JOB_WORKFLOW_TYPE, {
      workflowId: jobId,
      taskQueue: session.config.taskQueue,
      args: [{ settings: jobSettings(jobId, spec, units.length) }],
      staticSummary: `${spec.name}: ${units.length} units — ${sourceFor(spec.source).describe(spec.source)}`,
      typedSearchAttributes: [{ key: jobStatusSearchAttribute, value: 'CREATED' }],
    });
  } catch (err) {
    await deleteJob(session.db, jobId);
    throw new UserError(`could not start job ${jobId}: ${firstLine(err)}`);
  }
  return { jobId, totalUnits: units.length };
}

export function jobHandle(session: Session, jobId: string): WorkflowHandle<typeof jobWorkflow> {
  return session.client.workflow.getHandle<typeof jobWorkflow>(jobId);
}

/** Throws a UsageError when no such job exists. */
export async function assertJobExists(session: Session, jobId: string): Promise<void> {
  try {
    await jobHandle(session, jobId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new UsageError(`no job ${jobId}`, 'list jobs with `agentic-batch list`');
    }
    throw err;
  }
}

/**
 * The job's status from its workflow; when no worker can answer (the stack is down) or the
 * workflow's history is gone, from what Postgres recorded — counts and cost, but not the test
 * results, so callers that decide on those ask with `fromDatabaseIfNeeded: false`.
 */
export async function getStatus(
  session: Session,
  jobId: string,
  { fromDatabaseIfNeeded = true }: { fromDatabaseIfNeeded?: boolean } = {},
): Promise<JobStatus> {
  const handle = jobHandle(session, jobId);
  try {
    return await session.client.connection.withDeadline(Date.now() + 10_000, () => handle.query(statusQuery));
  } catch (err) {
    const fromDb = fromDatabaseIfNeeded ? await statusFromDatabase(session, jobId) : null;
    if (fromDb) return fromDb;
    if (err instanceof WorkflowNotFoundError) throw new UsageError(`no job ${jobId}`, 'list jobs with `agentic-batch list`');
    throw new UserError(`cannot read the status of ${jobId}: ${firstLine(err)}`, 'is a worker running? `agentic-batch up -d`');
  }
}

async function statusFromDatabase(session: Session, jobId: string): Promise<JobStatus | null> {
  const job = await getJob(session.db, jobId);
  if (!job) return null;
  const { counts, costUsd } = await unitTotals(session.db, jobId);
  const spec = job.spec as JobSpec;
  return {
    jobId,
    name: job.name,
    state: job.state,
    counts: { total: job.totalUnits, ...counts },
    costUsd,
    budgetUsd: spec.budgetUsd ?? null,
    concurrency: spec.concurrency,
    templateVersion: 0,
    testResults: [],
    message: job.message,
  };
}

async function update(
  session: Session,
  jobId: string,
  run: (handle: WorkflowHandle<typeof jobWorkflow>) => Promise<JobStatus>,
): Promise<JobStatus> {
  try {
    return await run(jobHandle(session, jobId));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new UserError(`${jobId}: ${err.cause?.message ?? err.message}`, `see its state with \`agentic-batch status ${jobId}\``);
    }
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    // Not found also means "closed": an ended job takes no more messages.
    await assertJobExists(session, jobId);
    const { state } = await getStatus(session, jobId);
    throw new UserError(`${jobId} has already ended (${state})`, `see it with \`agentic-batch status ${jobId}\``);
  }
}

export const approveJob = (session: Session, jobId: string) => update(session, jobId, (h) => h.executeUpdate(approveUpdate));
export const pauseJob = (session: Session, jobId: string) => update(session, jobId, (h) => h.executeUpdate(pauseUpdate));
export const resumeJob = (session: Session, jobId: string, request: ResumeRequest = {}) =>
  update(session, jobId, (h) => h.executeUpdate(resumeUpdate, { args: [request] }));

/** Reject the test result; a revised prompt is checked against the source's placeholders first. */
export async function rejectJob(session: Session, jobId: string, request: RejectRequest): Promise<JobStatus> {
  if (request.prompt !== undefined) {
    const job = await getJob(session.db, jobId);
    if (!job) throw new UsageError(`no job ${jobId}`, 'list jobs with `agentic-batch list`');
    try {
      validateTemplate(request.prompt, sourceFor((job.spec as JobSpec).source).placeholders);
    } catch (err) {
      if (err instanceof TemplateError) throw new UsageError(`the revised prompt: ${err.message}`, err.hint);
      throw err;
    }
  }
  return update(session, jobId, (h) => h.executeUpdate(rejectUpdate, { args: [request] }));
}

/** Request cancellation; running units are cancelled and their agents killed by the workflow. */
export async function cancelJob(session: Session, jobId: string): Promise<void> {
  await assertJobExists(session, jobId);
  try {
    await jobHandle(session, jobId).cancel();
  } catch (err) {
    if (/already completed|not found/i.test(String(err))) throw new UserError(`${jobId} has already ended`);
    throw err;
  }
}
