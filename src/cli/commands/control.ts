/** `approve`, `reject`, `pause`, `resume`, `cancel`: drive a job's lifecycle. */
import type { Command } from 'commander';
import { stackDashboardLink } from '../../client/dashboardLink.js';
import {
  approveJob,
  cancelJob,
  getStatus,
  jobReport,
  pauseJob,
  rejectJob,
  resumeJob,
  retryJob,
} from '../../client/jobs.js';
import {
  cancelPipeline,
  getPipelineStatus,
  isPipelineId,
  pausePipeline,
  resumePipeline,
} from '../../client/pipelines.js';
import { statusJson } from '../../client/statusJson.js';
import { answeredByWorker } from '../../client/workerWait.js';
import { isTerminal } from '../../domain/index.js';
import type { JobStatus } from '../../domain/index.js';
import { UsageError } from '../../errors.js';
import { action } from '../action.js';
import { printJson, say } from '../output.js';
import { forecastLine, usd } from '../render/format.js';
import { pipelineText, type LivePipeline } from '../render/pipeline.js';
import { jobOf, STAGE_OPTION } from '../target.js';
import { waitForStatus } from '../watchJob.js';
import { WAIT_OPTION, waitPolicyOf, withSession } from '../withSession.js';

function reportPipeline(status: LivePipeline, json: boolean | undefined): void {
  if (json) return printJson(status);
  console.log(pipelineText(status));
}

function report(status: JobStatus, json: boolean | undefined): void {
  if (json) return printJson(statusJson(status));
  const { counts } = status;
  say(
    `${status.jobId} is ${status.state}${status.message ? ` (${status.message})` : ''}: ` +
      `${counts.succeeded}/${counts.total} succeeded, ${counts.failed} failed, ${counts.running} running · ${usd(status.costUsd)}`,
  );
}

interface WaitFlags {
  waitSeconds?: string;
}

type ResumeFlags = WaitFlags & { budgetUsd?: string; ignoreBreaker?: boolean; stage?: string; json?: boolean };

export function registerControlCommands(program: Command): void {
  program
    .command('approve <job>')
    .description('approve a READY job: its remaining units start running')
    .option('--over-budget', 'approve although the forecast exceeds the budget (the job pauses at the budget)')
    .option(...STAGE_OPTION)
    .option(...WAIT_OPTION)
    .option('--json', 'print the new status as JSON')
    .action(
      action(async (id: string, opts: WaitFlags & { overBudget?: boolean; stage?: string; json?: boolean }) =>
        report(
          await withSession(
            async (s) => approveJob(s, await jobOf(s, id, opts.stage), { overBudget: opts.overBudget }),
            waitPolicyOf(opts),
          ),
          opts.json,
        ),
      ),
    );

  program
    .command('reject <job>')
    .description(
      "reject a READY job's test result: back to TESTING, with a revised prompt (a job written from --intent: the agent revises it from the feedback)",
    )
    .requiredOption('--feedback <text>', 'what was wrong with the test result')
    .option('--prompt <template>', 'the revised prompt template')
    .option(...STAGE_OPTION)
    .option(...WAIT_OPTION)
    .option('--json', 'print the new status as JSON')
    .action(
      action(
        async (id: string, opts: WaitFlags & { feedback: string; prompt?: string; stage?: string; json?: boolean }) => {
          if (!opts.feedback.trim())
            throw new UsageError('--feedback is empty: say what was wrong with the test result');
          const status = await withSession(
            async (s) => rejectJob(s, await jobOf(s, id, opts.stage), { feedback: opts.feedback, prompt: opts.prompt }),
            waitPolicyOf(opts),
          );
          if (status.revisedPrompt !== undefined && !opts.json)
            say(`the agent revised the prompt from your feedback:\n${status.revisedPrompt}`);
          report(status, opts.json);
        },
      ),
    );

  program
    .command('retry <job>')
    .description('run the units of an ended job that failed (or were cancelled) again, in the same job')
    .option('--status <states>', 'which units: failed, cancelled, expired, comma-separated', 'failed')
    .option('--json', 'print {"jobId","retrying"}')
    .action(
      action(async (jobId: string, opts: { status: string; json?: boolean }) => {
        const statuses = [...new Set(opts.status.split(',').map((s) => s.trim()))];
        const retryable = ['failed', 'cancelled', 'expired'] as const;
        const unknown = statuses.find((s) => !(retryable as readonly string[]).includes(s));
        if (unknown !== undefined || statuses.length === 0)
          throw new UsageError(`--status "${opts.status}": retry takes failed, cancelled or expired, comma-separated`);
        const retried = await withSession((s) => retryJob(s, jobId, statuses as (typeof retryable)[number][]));
        if (opts.json) return printJson(retried);
        say(
          `${jobId} is RUNNING again: ${retried.retrying} ${statuses.join(' and ')} units. Follow it with: agentic-batch watch ${jobId}`,
        );
      }),
    );

  program
    .command('pause <job>')
    .description('stop starting units; running ones finish (a pipeline: every stage)')
    .option(...STAGE_OPTION)
    .option(...WAIT_OPTION)
    .option('--json', 'print the new status as JSON')
    .action(
      action(async (id: string, opts: WaitFlags & { stage?: string; json?: boolean }) =>
        withSession(async (s) => {
          if (isPipelineId(id) && opts.stage === undefined)
            return reportPipeline(await pausePipeline(s, id), opts.json);
          report(await pauseJob(s, await jobOf(s, id, opts.stage)), opts.json);
        }, waitPolicyOf(opts)),
      ),
    );

  program
    .command('resume <job>')
    .description('resume a PAUSED job, optionally with a higher budget')
    .option('--budget-usd <usd>', 'new budget for the whole job')
    .option('--ignore-breaker', 'the breaker paused it: go on, and let it not pause this job again')
    .option(...STAGE_OPTION)
    .option(...WAIT_OPTION)
    .option('--json', 'print the new status as JSON')
    .action(
      action(async (id: string, opts: ResumeFlags) => {
        const budgetUsd = opts.budgetUsd === undefined ? undefined : Number(opts.budgetUsd);
        if (budgetUsd !== undefined && !(budgetUsd > 0))
          throw new UsageError(`--budget-usd expects an amount above 0, got "${opts.budgetUsd}"`);
        await withSession(async (s) => {
          if (isPipelineId(id) && opts.stage === undefined) {
            if (budgetUsd !== undefined || opts.ignoreBreaker)
              throw new UsageError(
                `${budgetUsd !== undefined ? '--budget-usd' : '--ignore-breaker'} is per job: add --stage`,
              );
            return reportPipeline(await resumePipeline(s, id), opts.json);
          }
          const jobId = await jobOf(s, id, opts.stage);
          report(await resumeJob(s, jobId, { budgetUsd, ignoreBreaker: opts.ignoreBreaker }), opts.json);
        }, waitPolicyOf(opts));
      }),
    );

  program
    .command('cancel <job>')
    .description('cancel a job: running agents are stopped, pending units marked cancelled')
    .option('--no-wait', 'return once cancellation is requested')
    .option(...STAGE_OPTION)
    .option(...WAIT_OPTION)
    .option('--json', 'print the final status as JSON')
    .action(
      action(async (id: string, opts: WaitFlags & { wait: boolean; stage?: string; json?: boolean }) => {
        await withSession(async (session) => {
          if (isPipelineId(id) && opts.stage === undefined) {
            await cancelPipeline(session, id);
            if (!opts.wait) return say(`cancellation of ${id} requested`);
            for (;;) {
              const status = await getPipelineStatus(session, id);
              if (status.state === 'CANCELLED' || status.state === 'COMPLETED' || status.state === 'FAILED')
                return reportPipeline(status, opts.json);
              await new Promise((r) => setTimeout(r, 1000));
            }
          }
          const jobId = await jobOf(session, id, opts.stage);
          await cancelJob(session, jobId);
          if (!opts.wait) return say(`cancellation of ${jobId} requested`);
          // A worker ends the job: without one it stays cancelling.
          const status = await answeredByWorker(session, `cancel ${jobId}`, (signal) =>
            waitForStatus(session, jobId, (s) => isTerminal(s.state), undefined, { signal }),
          );
          report(status, opts.json);
        }, waitPolicyOf(opts));
      }),
    );

  program
    .command('status <job>')
    .description("a job's state, unit counts and cost; a pipeline's stages as a graph")
    .option('--json', 'print {"jobId","status","counts","costUsd","throttle",…} as one JSON document')
    .option(...STAGE_OPTION)
    .action(
      action(async (id: string, opts: { stage?: string; json?: boolean }) => {
        if (isPipelineId(id) && opts.stage === undefined)
          return reportPipeline(await withSession((s) => getPipelineStatus(s, id)), opts.json);
        const { status, jobId, dashboardUrl } = await withSession(async (s) => {
          const jobId = await jobOf(s, id, opts.stage);
          return { status: await getStatus(s, jobId), jobId, dashboardUrl: await stackDashboardLink(s) };
        });
        if (opts.json) return printJson({ ...statusJson(status), dashboardUrl });
        const { counts } = status;
        console.log(`${status.jobId} (${status.name}): ${status.state}${status.message ? ` — ${status.message}` : ''}`);
        console.log(
          `  units     ${counts.total} total · ${counts.succeeded} succeeded · ${counts.failed} failed · ${counts.cancelled} cancelled · ${counts.expired} expired · ${counts.running} running · ${counts.pending} pending`,
        );
        console.log(
          `  cost      ${usd(status.costUsd)}${status.budgetUsd !== null ? ` of ${usd(status.budgetUsd)} budget` : ''}`,
        );
        console.log(`  prompt    v${status.templateVersion} · concurrency ${status.concurrency}`);
        if (status.throttle.text) console.log(`  governor  ${status.throttle.text}`);
        if (status.memory) console.log(`  memory    ${status.memory.text}`);
        const forecast = forecastLine(status);
        if (forecast) console.log(`  ${forecast.replace(': ', '  ')}`);
        const hook = status.webhook;
        if (hook && hook.delivered + hook.failed > 0) {
          const failed = hook.failed ? `, ${hook.failed} failed (last: ${hook.lastError})` : '';
          console.log(`  webhook   ${hook.delivered} delivered${failed}`);
        }
        const aggregate = status.aggregate;
        if (aggregate) {
          const how = aggregate.state === 'failed' ? `failed: ${aggregate.error}` : aggregate.state;
          console.log(
            `  aggregate ${how}${aggregate.report !== null ? ` · see it with: agentic-batch report ${jobId}` : ''}`,
          );
        }
        for (const t of status.testResults)
          console.log(`  test      unit ${t.unitId} ${t.key}: ${t.status}${t.error ? ` (${t.error})` : ''}`);
      }),
    );

  program
    .command('report <job>')
    .description("the job's report: what its aggregate step made of the results")
    .option(...STAGE_OPTION)
    .option('--json', 'print {"jobId","report"}')
    .addHelpText(
      'after',
      `
The report is the result of the spec's aggregate step, run once every unit has settled.
Exit status: 0 with the report on stdout; 1 when there is none yet (or the step failed); 2 when
the job has no aggregate step.`,
    )
    .action(
      action(async (id: string, opts: { stage?: string; json?: boolean }) => {
        const { jobId, report } = await withSession(async (s) => {
          const jobId = await jobOf(s, id, opts.stage);
          return { jobId, report: await jobReport(s, jobId) };
        });
        if (opts.json) printJson({ jobId, report });
        else process.stdout.write(report.endsWith('\n') ? report : `${report}\n`);
      }),
    );
}
