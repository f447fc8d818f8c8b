/**
 * Creating a job: check what can be checked without a server, then stream the source's units
 * into Postgres (checking each against the templates on the way) and start the job's workflow.
 * Nothing holds all units; on any failure nothing is left behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import stableStringify from 'fast-json-stable-stringify';
import type { jobWorkflow, JobWorkflowInput } from '../../workflows/job/jobWorkflow.js';
import { JOB_WORKFLOW_TYPE, jobStatusSearchAttribute } from '../../workflows/messages.js';
import { agentKind, findExecutable } from '../agents/index.js';
import type { JobState } from '../domain/index.js';
import { UsageError, UserError } from '../errors.js';
import { SourceError, sourceKind, type ReadContext } from '../sources/index.js';
import { checkedUnits, jobSettings } from '../spec/jobPlan.js';
import type { JobSpec } from '../spec/schema.js';
import { DuplicateKeyError, IdempotencyKeyTaken, insertJob } from '../store/insertJob.js';
import { deleteJob, jobByIdempotencyKey } from '../store/jobs.js';
import { firstLine } from '../temporal/connect.js';
import type { Session } from './session.js';

export type { ReadContext };

export interface CreatedJob {
  jobId: string;
  totalUnits: number;
  /** The spec's idempotency key had created this job before: nothing new was created. */
  existing: boolean;
}

/** `PREFIX-<name as a slug>-<6 hex>`: readable, and unique without asking anyone. */
export function newId(prefix: 'job' | 'pipe', name: string): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || prefix;
  return `${prefix}-${slug}-${randomBytes(3).toString('hex')}`;
}

export const newJobId = (name: string): string => newId('job', name);

/** Everything that can be checked before any server is contacted: the source is there, the agent can run. */
export async function prepareJob(spec: JobSpec, read: ReadContext = {}): Promise<void> {
  await asUsageError(() => sourceKind(spec.source).check?.(spec.source, read));
  await checkAgentCanRun(spec);
}

/** Store the job and its units, then start its workflow. `onProgress` hears the units stored so far. */
export async function createJob(
  session: Session,
  spec: JobSpec,
  read: ReadContext = {},
  onProgress?: (stored: number) => void,
): Promise<CreatedJob> {
  const idempotency = spec.idempotencyKey ? { key: spec.idempotencyKey, specHash: specHash(spec) } : undefined;
  const before = idempotency && (await existingJob(session, idempotency));
  if (before) return before;
  const jobId = newJobId(spec.name);
  const kind = sourceKind(spec.source);
  let totalUnits: number;
  try {
    totalUnits = await asUsageError(() =>
      insertJob(
        session.db,
        { id: jobId, name: spec.name, spec, sourceType: spec.source.type, template: spec.prompt, idempotency },
        checkedUnits(spec, read),
        onProgress,
      ),
    );
  } catch (err) {
    const raced = err instanceof IdempotencyKeyTaken && idempotency && (await existingJob(session, idempotency));
    if (raced) return raced;
    throw err;
  }
  try {
    await startJobWorkflow(session, { settings: jobSettings(jobId, spec, totalUnits) }, 'CREATED', {
      summary: `${spec.name}: ${totalUnits} units — ${kind.describe(spec.source)}`,
    });
  } catch (err) {
    await deleteJob(session.db, jobId);
    throw new UserError(`could not start job ${jobId}: ${firstLine(err)}`);
  }
  return { jobId, totalUnits, existing: false };
}

/** Start a run of a job's workflow (a new job, or a retry of an ended one), under the job's id. */
export async function startJobWorkflow(
  session: Session,
  input: JobWorkflowInput,
  state: JobState,
  { summary }: { summary: string },
): Promise<void> {
  await session.client.workflow.start<typeof jobWorkflow>(JOB_WORKFLOW_TYPE, {
    workflowId: input.settings.jobId,
    taskQueue: session.config.taskQueue,
    args: [input],
    staticSummary: summary,
    typedSearchAttributes: [{ key: jobStatusSearchAttribute, value: state }],
  });
}

/** What identifies a spec for its idempotency key: everything in it but the key. */
function specHash(spec: JobSpec): string {
  const { idempotencyKey: _key, ...rest } = spec;
  return createHash('sha256').update(stableStringify(rest)).digest('hex');
}

/** The job the key created before, if it did from the same spec; a different spec is an error. */
async function existingJob(
  session: Session,
  idempotency: { key: string; specHash: string },
): Promise<CreatedJob | null> {
  const job = await jobByIdempotencyKey(session.db, idempotency.key);
  if (!job) return null;
  if (job.specHash !== idempotency.specHash) {
    throw new UsageError(
      `idempotency key ${JSON.stringify(idempotency.key)} created ${job.id} from a different spec`,
      `use a new key for a new job, or see that one with \`agentic-batch status ${job.id}\``,
    );
  }
  return { jobId: job.id, totalUnits: job.totalUnits, existing: true };
}

/** The agent's program and directory must exist before a job is created, or every unit would fail the same way. */
export async function checkAgentCanRun(spec: JobSpec): Promise<void> {
  const { cwd } = spec.agent;
  const dir = cwd ? await stat(cwd).catch(() => null) : null;
  if (cwd && !dir?.isDirectory()) {
    throw new UsageError(`the agent's working directory ${cwd} is not a directory`, 'check agent.cwd');
  }
  for (const [agent, whose] of [
    [spec.agent, ''],
    ...(spec.aggregate && spec.aggregate.agent !== spec.agent ? [[spec.aggregate.agent, 'aggregate '] as const] : []),
  ] as const) {
    const kind = agentKind(agent);
    const bin = kind.program(agent, process.env);
    if (!findExecutable(bin, process.env.PATH ?? '')) {
      throw new UsageError(
        `the ${whose}${agent.type} agent's program ${bin} was not found or is not executable`,
        kind.installHint,
      );
    }
  }
  const check = spec.verify?.command[0];
  if (check && !check.includes('{{') && !findExecutable(check, process.env.PATH ?? '')) {
    throw new UsageError(
      `the verify command's program ${check} was not found or is not executable`,
      'check verify.command[0]: a program on PATH, or a path relative to the spec file',
    );
  }
}

/** Source problems, duplicate keys and bad records are the user's to fix: exit 2, nothing created. */
export async function asUsageError<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SourceError) throw new UsageError(err.message, err.hint);
    if (err instanceof DuplicateKeyError) {
      throw new UsageError(
        `two records have the key ${JSON.stringify(err.key)}: ${err.first} and ${err.second}`,
        'keys identify units and must be unique: choose another source.key (--key), or remove the duplicate',
      );
    }
    throw err;
  }
}
