/**
 * The client API for jobs: create one, read its status, and drive its lifecycle. The CLI is a
 * thin layer over this; scripts can import it too.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { jobWorkflow } from '../../workflows/job/jobWorkflow.js';
import { approveUpdate, pauseUpdate, rejectUpdate, resumeUpdate, statusQuery } from '../../workflows/messages.js';
import {
  assertRequest,
  buildJobStatus,
  idleThrottle,
  IllegalRequestError,
  isTerminal,
  memoryHoldStatus,
  type ApproveRequest,
  type JobRequest,
  type JobState,
  type JobStatus,
  type RejectRequest,
  type ResumeRequest,
  type UnitOutcomeStatus,
} from '../domain/index.js';
import { ConflictError, UsageError, UserError } from '../errors.js';
import { sourceKind } from '../sources/index.js';
import { jobSettings } from '../spec/jobPlan.js';
import type { JobSpec } from '../spec/schema.js';
import { storedSpec } from '../spec/stored.js';
import { checkTemplateForStoredUnits, TemplateError } from '../spec/template.js';
import { getJob, getReport, getTemplate } from '../store/jobs.js';
import { memoryHoldsOf } from '../store/memoryHolds.js';
import { firstUnitMissing, getUnits, unitTotals } from '../store/units.js';
import { firstLine } from '../temporal/connect.js';
import { startJobWorkflow } from './createJob.js';
import type { Session } from './session.js';
import { samplesOf, synthesizeTemplate } from './synthesize.js';
import { noJob } from './units.js';
import { answeredByWorker } from './workerWait.js';

export function jobHandle(session: Session, jobId: string): WorkflowHandle<typeof jobWorkflow> {
  return session.client.workflow.getHandle<typeof jobWorkflow>(jobId);
}

/** Throws a UsageError when no such job exists. */
export async function assertJobExists(session: Session, jobId: string): Promise<void> {
  try {
    await jobHandle(session, jobId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw noJob(jobId);
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
    const status = await session.client.connection.withDeadline(Date.now() + 10_000, () => handle.query(statusQuery));
    return isTerminal(status.state)
      ? status
      : { ...status, memory: memoryHoldStatus(await memoryHoldsOf(session.db, jobId)) };
  } catch (err) {
    const fromDb = fromDatabaseIfNeeded ? await statusFromDatabase(session, jobId) : null;
    if (fromDb) return fromDb;
    if (err instanceof WorkflowNotFoundError) throw noJob(jobId);
    throw new UserError(
      `cannot read the status of ${jobId}: ${firstLine(err)}`,
      'is a worker running? `agentic-batch up -d`',
    );
  }
}

async function statusFromDatabase(session: Session, jobId: string): Promise<JobStatus | null> {
  const job = await getJob(session.db, jobId);
  if (!job) return null;
  const [{ counts, costUsd }, report] = await Promise.all([
    unitTotals(session.db, jobId),
    getReport(session.db, jobId),
  ]);
  const spec = storedSpec(job);
  return buildJobStatus({
    jobId,
    name: job.name,
    state: job.state,
    total: job.totalUnits,
    settled: counts,
    running: counts.running,
    costUsd,
    budgetUsd: spec.budgetUsd ?? null,
    concurrency: spec.concurrency,
    templateVersion: 0,
    testResults: [],
    message: job.message,
    // Only the workflow knows; a job read from the database is not running.
    throttle: idleThrottle(spec.concurrency),
    webhook: null,
    aggregate: spec.aggregate
      ? {
          state: report?.text != null ? 'succeeded' : job.state === 'FAILED' ? 'failed' : 'pending',
          error: null,
          report: report?.text ?? null,
        }
      : null,
  });
}

/** The job's report, whole: the aggregate step's result. */
export async function jobReport(session: Session, jobId: string): Promise<string> {
  const job = await getJob(session.db, jobId);
  if (!job) throw noJob(jobId);
  if (!storedSpec(job).aggregate) {
    throw new UsageError(
      `job ${jobId} has no aggregate step, so no report`,
      'give a job spec `aggregate: {prompt: "…{{results_file}}…"}`; its results are in `agentic-batch results JOB`',
    );
  }
  const report = await getReport(session.db, jobId);
  if (report?.text == null) {
    const status = await getStatus(session, jobId);
    throw new UserError(
      `job ${jobId} has no report yet: ${status.aggregate?.state === 'failed' ? `the aggregate step failed (${status.aggregate.error})` : `it is ${status.state}${status.aggregate?.state === 'running' ? ', aggregating' : ''}`}`,
      `follow it with \`agentic-batch watch ${jobId}\``,
    );
  }
  return report.text;
}

async function update(
  session: Session,
  jobId: string,
  run: (handle: WorkflowHandle<typeof jobWorkflow>) => Promise<JobStatus>,
  what: string,
): Promise<JobStatus> {
  try {
    return await answeredByWorker(session, `${what} ${jobId}`, () => run(jobHandle(session, jobId)));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ConflictError(
        `${jobId}: ${err.cause?.message ?? err.message}`,
        `see its state with \`agentic-batch status ${jobId}\``,
      );
    }
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    // Not found also means "closed": an ended job takes no more messages.
    await assertJobExists(session, jobId);
    const { state } = await getStatus(session, jobId);
    throw new ConflictError(`${jobId} has already ended (${state})`, `see it with \`agentic-batch status ${jobId}\``);
  }
}

export const approveJob = (session: Session, jobId: string, request: ApproveRequest = {}) =>
  update(session, jobId, (h) => h.executeUpdate(approveUpdate, { args: [request] }), 'approve');
export const pauseJob = (session: Session, jobId: string) =>
  update(session, jobId, (h) => h.executeUpdate(pauseUpdate), 'pause');
export const resumeJob = (session: Session, jobId: string, request: ResumeRequest = {}) =>
  update(session, jobId, (h) => h.executeUpdate(resumeUpdate, { args: [request] }), 'resume');

/**
 * Reject the test result; a revised prompt is checked against the source and the stored records
 * first. A job written from an intent, rejected without a prompt, has the agent revise its prompt
 * from the feedback and the failed test units (`revisedPrompt`).
 */
export async function rejectJob(
  session: Session,
  jobId: string,
  request: RejectRequest,
): Promise<JobStatus & { revisedPrompt?: string }> {
  const job = await getJob(session.db, jobId);
  if (!job) throw noJob(jobId);
  const spec = storedSpec(job);
  if (request.prompt === undefined && spec.intent) {
    const status = await getStatus(session, jobId);
    assertRequestOrExplain(status.state, 'reject', jobId);
    const prompt = await reviseTemplate(session, jobId, spec, status, request.feedback);
    const revised = await update(
      session,
      jobId,
      (h) => h.executeUpdate(rejectUpdate, { args: [{ ...request, prompt }] }),
      'reject',
    );
    return { ...revised, revisedPrompt: prompt };
  }
  if (request.prompt !== undefined) {
    const { fields } = sourceKind(spec.source);
    const findMissing = (names: string[]) => firstUnitMissing(session.db, jobId, names);
    try {
      await checkTemplateForStoredUnits(request.prompt, fields, findMissing, 'the revised prompt');
    } catch (err) {
      if (err instanceof TemplateError) throw new UsageError(err.message, err.hint);
      throw err;
    }
  }
  return update(session, jobId, (h) => h.executeUpdate(rejectUpdate, { args: [request] }), 'reject');
}

/**
 * Run an ended job's units in `statuses` again, in the same job (GNU parallel's --resume-failed):
 * a new run of its workflow, under the same id, puts them back to pending and runs them; the
 * job is RUNNING again and ends anew. Returns how many units run again.
 */
export async function retryJob(
  session: Session,
  jobId: string,
  statuses: Exclude<UnitOutcomeStatus, 'succeeded'>[] = ['failed'],
): Promise<{ jobId: string; retrying: number }> {
  const job = await getJob(session.db, jobId);
  if (!job) throw noJob(jobId);
  const described = await jobHandle(session, jobId)
    .describe()
    .catch(() => null);
  const state = described?.status.name === 'RUNNING' ? (await getStatus(session, jobId)).state : job.state;
  assertRequestOrExplain(state, 'retry', jobId);
  const { counts } = await unitTotals(session.db, jobId);
  const retrying = statuses.reduce((sum, status) => sum + counts[status], 0);
  if (retrying === 0) {
    throw new UserError(
      `${jobId} has no ${statuses.join(' or ')} units to retry`,
      `see its units with \`agentic-batch units ${jobId}\``,
    );
  }
  const spec = storedSpec(job);
  try {
    const settings = jobSettings(jobId, spec, job.totalUnits);
    await startJobWorkflow(session, { settings, retry: { statuses } }, 'RUNNING', {
      summary: `${spec.name}: retrying ${retrying} ${statuses.join(' and ')} units`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new UserError(`${jobId} is already running again`, `follow it with \`agentic-batch watch ${jobId}\``);
    throw err;
  }
  return { jobId, retrying };
}

/** Request cancellation; running units are cancelled and their agents killed by the workflow. */
export async function cancelJob(session: Session, jobId: string): Promise<void> {
  await assertJobExists(session, jobId);
  await requestCancel(jobHandle(session, jobId), jobId);
}

/** Ask a job's or pipeline's workflow to cancel; one that has closed has already ended. */
export async function requestCancel(handle: { cancel(): Promise<unknown> }, id: string): Promise<void> {
  try {
    await handle.cancel();
  } catch (err) {
    if (/already completed|not found/i.test(String(err))) throw new ConflictError(`${id} has already ended`);
    throw err;
  }
}

/** The agent's revision of the job's prompt, from the reviewer's feedback and how the test units went. */
async function reviseTemplate(
  session: Session,
  jobId: string,
  spec: JobSpec,
  status: JobStatus,
  feedback: string,
): Promise<string> {
  const current = (await getTemplate(session.db, jobId, status.templateVersion)) ?? spec.prompt;
  const units = await getUnits(session.db, jobId, [1, 2, 3]);
  const failures = status.testResults
    .filter((r) => r.templateVersion === status.templateVersion && r.status !== 'succeeded')
    .map((r) => `${r.key}: ${r.error ?? r.status}`);
  const samples = samplesOf(
    spec,
    units.sort((a, b) => a.unitId - b.unitId).map((u) => ({ key: u.key, payload: u.payload })),
  );
  return synthesizeTemplate(spec, samples, { template: current, feedback, failures });
}

/** A request the job's state does not allow, said before any agent runs for it. */
function assertRequestOrExplain(state: JobState, request: JobRequest, jobId: string): void {
  try {
    assertRequest(state, request);
  } catch (err) {
    if (err instanceof IllegalRequestError) throw new ConflictError(`${jobId}: ${err.message}`);
    throw err;
  }
}
