/** Running and following a pipeline from the terminal: `run pipeline.yaml`, `watch PIPELINE`. */
import type { Command } from 'commander';
import { approveJob, rejectJob } from '../../client/jobs.js';
import { createPipeline, getPipelineStatus, preparePipeline, type LiveStage } from '../../client/pipelines.js';
import { openSession, type Session } from '../../client/session.js';
import { newestAttempts } from '../../client/units.js';
import { workflowUiUrl } from '../../client/webUi.js';
import { loadConfig } from '../../config.js';
import { UsageError } from '../../errors.js';
import { buildPipeline } from '../../spec/pipeline.js';
import { decide } from '../decide.js';
import { printJson, say } from '../output.js';
import { forecastLine } from '../render/format.js';
import { pipelineText } from '../render/pipeline.js';
import { testReport } from '../render/testReport.js';
import { detachOnInterrupt } from '../watchJob.js';

const POLL_MS = 1000;

/** `run pipeline.yaml`: validate every stage, create the pipeline, follow it to its end. */
export function runPipelineFile(
  raw: unknown,
  baseDir: string,
  file: string,
  opts: { yes?: boolean; json?: boolean },
): Promise<number> {
  return withNewPipeline(raw, baseDir, file, (session, pipelineId) => followPipeline(session, pipelineId, opts));
}

/** `create pipeline.yaml`: validate and create it; its first stages start. */
export function createPipelineFile(raw: unknown, baseDir: string, file: string, opts: { json?: boolean }) {
  return withNewPipeline(raw, baseDir, file, async (_session, pipelineId) => {
    if (opts.json) printJson({ pipelineId });
    else say(`follow it with: agentic-batch watch ${pipelineId}`);
    return 0;
  });
}

async function withNewPipeline(
  raw: unknown,
  baseDir: string,
  file: string,
  then: (session: Session, pipelineId: string) => Promise<number>,
): Promise<number> {
  const spec = buildPipeline(raw, baseDir, file);
  await preparePipeline(spec);
  const session = await openSession(loadConfig(), { autoStart: true });
  try {
    const { pipelineId } = await createPipeline(session, spec);
    say(`created ${pipelineId}: ${spec.stages.map((s) => s.name).join(', ')}`);
    const webUi = workflowUiUrl(session, pipelineId);
    if (webUi) say(`Web UI: ${webUi}`);
    return await then(session, pipelineId);
  } finally {
    await session.close();
  }
}

/**
 * Say each stage's moves until the pipeline ends; a stage READY for approval is decided here as
 * for a job (with --yes: approved when its test units succeeded). Returns the exit code.
 */
export async function followPipeline(
  session: Session,
  pipelineId: string,
  opts: { yes?: boolean; json?: boolean },
): Promise<number> {
  const seen = new Map<string, string>();
  const decided = new Set<string>();
  const stopDetach = detachOnInterrupt(pipelineId);
  try {
    for (;;) {
      const status = await getPipelineStatus(session, pipelineId);
      for (const stage of status.stages) {
        const line = stageLine(stage);
        if (seen.get(stage.name) !== line) say(line);
        seen.set(stage.name, line);
        const job = stage.job;
        if (!job || job.state !== 'READY' || decided.has(`${job.jobId}@${job.templateVersion}`)) continue;
        decided.add(`${job.jobId}@${job.templateVersion}`);
        say(
          testReport(
            job,
            await newestAttempts(
              session,
              job.jobId,
              job.testResults.map((r) => r.unitId),
            ),
          ),
        );
        const forecast = forecastLine(job);
        if (forecast) say(forecast);
        const decision = await decide(job, opts.yes ?? false, job.jobId);
        if (decision === 'leave') {
          say(`the pipeline waits for stage ${stage.name}: agentic-batch approve ${pipelineId} --stage ${stage.name}`);
          if (opts.json) printJson(status);
          return 1;
        }
        if (decision === 'approve' || decision === 'approveOverBudget')
          await approveJob(session, job.jobId, { overBudget: decision === 'approveOverBudget' });
        else await rejectJob(session, job.jobId, decision);
      }
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(status.state)) {
        if (opts.json) printJson(status);
        say(pipelineText(status));
        say(`results: agentic-batch results ${pipelineId} --stage STAGE   (report, units, show take --stage too)`);
        return status.state === 'COMPLETED' ? 0 : 1;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    stopDetach();
  }
}

function stageLine(stage: LiveStage): string {
  const counts = stage.job?.counts ?? stage.counts;
  const progress = counts
    ? ` · ${counts.succeeded}/${counts.total} succeeded${counts.failed ? `, ${counts.failed} failed` : ''}`
    : '';
  const why = stage.message && !counts ? ` (${stage.message})` : '';
  return `stage ${stage.name}: ${stage.state}${progress}${why}`;
}

/** Spec flags given on the command line with a pipeline file: they have no stage to go to. */
export function refuseSpecFlags(command: Command): void {
  const allowed = new Set(['yes', 'json', 'groupShortUnits', 'verbose']);
  // Given, not defaulted: a `--no-…` flag's value is true unless it was given.
  const given = command.options.find(
    (o) => !allowed.has(o.attributeName()) && command.getOptionValueSource(o.attributeName()) === 'cli',
  );
  if (given) {
    throw new UsageError(
      `${given.long} does not apply to a pipeline file`,
      'set it in the stages of the pipeline file; only --yes and --json go with a pipeline',
    );
  }
}
