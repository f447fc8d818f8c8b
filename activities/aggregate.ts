/**
 * The aggregate step: after every unit settled, one more agent run over a JSONL file of the
 * succeeded units' results and outputs (written for it); its result is the job's report. Retried
 * by Temporal like a unit; what every run spent is kept with the report.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { agentKind, runAgentOnce } from '../src/agents/index.js';
import { AGENT_ERROR_TYPES } from '../src/domain/index.js';
import { makePrivateDir } from '../src/privateTemp.js';
import type { JobSpec } from '../src/spec/schema.js';
import { storedSpec } from '../src/spec/stored.js';
import { renderTemplate, TemplateError } from '../src/spec/template.js';
import type { Db } from '../src/store/db.js';
import { addReportCost, getJob, recordReport } from '../src/store/jobs.js';
import { streamResults } from '../src/store/results.js';
import { jobSecretNames } from './agent/plan.js';
import type { ActivityDeps } from './index.js';

export interface RunAggregateInput {
  jobId: string;
  succeeded: number;
  failed: number;
  total: number;
}

/** What the workflow keeps of the report (status and webhooks carry it); `report JOB` prints it whole. */
const REPORT_IN_STATUS_CHARS = 64 * 1024;
const HEARTBEAT_EVERY_MS = 5000;

export function createAggregateActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function runAggregate(input: RunAggregateInput): Promise<{ report: string; costUsd: number }> {
    const ctx = Context.current();
    const job = await getJob(db, input.jobId);
    const spec = job ? storedSpec(job) : undefined;
    if (!spec?.aggregate)
      throw ApplicationFailure.nonRetryable(`job ${input.jobId} has no aggregate step`, 'JobMissing');
    // Private, and gone once the agent is done: the results are the job's.
    const dir = await makePrivateDir('aggregate-');
    try {
      return await aggregateIn(dir, { deps, input, spec: { ...spec, aggregate: spec.aggregate }, ctx });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return { runAggregate };
}

/** A job spec with its aggregate step. */
type AggregatedSpec = JobSpec & { aggregate: NonNullable<JobSpec['aggregate']> };

/** The aggregate agent's run, with the results file in `dir`. */
async function aggregateIn(
  dir: string,
  { deps, input, spec, ctx }: { deps: ActivityDeps; input: RunAggregateInput; spec: AggregatedSpec; ctx: Context },
): Promise<{ report: string; costUsd: number }> {
  const { db } = deps;
  const resultsFile = path.join(dir, 'results.jsonl');
  await writeResultsFile(db, input.jobId, resultsFile);

  const payload = { results_file: resultsFile, succeeded: input.succeeded, failed: input.failed, total: input.total };
  const render = (template: string): string => {
    try {
      return renderTemplate(template, { key: 'aggregate', index: 0, payload });
    } catch (err) {
      if (err instanceof TemplateError)
        throw ApplicationFailure.nonRetryable(err.message, AGENT_ERROR_TYPES.badTemplate);
      throw err;
    }
  };
  const agent = spec.aggregate.agent;
  const rehearsalUrl = agentKind(agent).rehearses?.(agent) ? await deps.rehearsalApiUrl() : null;
  const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  let verdict;
  try {
    ({ verdict } = await runAgentOnce(
      agent,
      {
        prompt: render(spec.aggregate.prompt),
        render,
        unitDirectory: null,
        readDirs: [dir],
        resumeSessionId: null,
        rehearsalUrl,
      },
      { cwd: agent.cwd ?? process.cwd(), signal: ctx.cancellationSignal, jobSecrets: jobSecretNames(spec) },
    ));
  } finally {
    clearInterval(beat);
  }
  if (ctx.cancellationSignal.aborted) {
    const reason: unknown = ctx.cancellationSignal.reason;
    throw reason instanceof CancelledFailure ? reason : new CancelledFailure('cancelled');
  }
  const { failure, ...report } = verdict;
  const costUsd = report.costUsd ?? 0;
  if (failure) {
    await addReportCost(db, input.jobId, costUsd);
    throw ApplicationFailure.create({
      type: failure.type,
      message: failure.message,
      nonRetryable: !failure.retryable,
      nextRetryDelay: failure.nextRetryDelayMs,
    });
  }
  const text = report.result ?? '';
  await recordReport(db, input.jobId, { text, costUsd });
  const shown =
    text.length > REPORT_IN_STATUS_CHARS
      ? `${text.slice(0, REPORT_IN_STATUS_CHARS)}\n[… cut here: \`agentic-batch report ${input.jobId}\` prints it whole]`
      : text;
  return { report: shown, costUsd };
}

/** The succeeded units, one JSON object a line: unitId, key, result, output. */
async function writeResultsFile(db: Db, jobId: string, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  try {
    for await (const page of streamResults(db, jobId, 'succeeded')) {
      const text = page
        .map((u) => JSON.stringify({ unitId: u.unitId, key: u.key, result: u.result, output: u.output ?? null }))
        .join('\n');
      if (!out.write(`${text}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  } finally {
    out.end();
    await finished(out);
  }
}
