/** `run` (create, test, approve, watch: the whole job in one command) and `create`. */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { approveJob, createJob, prepareJob, rejectJob } from '../../client/jobs.js';
import { openSession, type Session } from '../../client/session.js';
import { loadConfig } from '../../config.js';
import { UsageError } from '../../errors.js';
import { sourceFor } from '../../sources/index.js';
import type { JobSpec } from '../../spec/schema.js';
import type { NewUnit } from '../../store/jobs.js';
import { isTerminal } from '../../../workflows/lifecycle.js';
import type { JobStatus, RejectRequest } from '../../../workflows/messages.js';
import { action } from '../action.js';
import { printJson, say, statusJson } from '../output.js';
import { duration, usd } from '../render/format.js';
import { testReport } from '../render/testReport.js';
import { specFromInputs, type SpecFlags } from '../specFromFlags.js';
import { budgetPaused, detachOnInterrupt, waitForStatus, watchUntilSettled } from '../watchJob.js';

const SPEC_EXAMPLE = `
Spec file (YAML); every key has a flag of the same meaning, and flags override the file:
  name: summarize-docs
  source: { type: files, glob: "docs/**/*.md", cwd: ., exclude: ["**/drafts/**"], limit: 100 }
  prompt: |
    Summarize {{relative_path}} in one line.
  agent: { type: claude, model: sonnet, maxTurns: 10, allowedTools: [Read, Write],
           permissionMode: acceptEdits, addDirs: unit, timeoutSeconds: 600 }
  concurrency: 4      # units running at once
  retries: 3          # retries per unit after the first attempt
  testUnits: 1        # units run first for approval; 0 skips the test phase
  budgetUsd: 5        # pause the job when its spend reaches this

Placeholders for files: {{file_path}} {{relative_path}} {{file_name}} {{file_extension}} {{file_size}}
More agent keys: disallowedTools, appendSystemPrompt, cwd, maxBudgetUsd, idleTimeoutSeconds,
heartbeatTimeoutSeconds, retryDelaySeconds, resumeOnRetry, rehearse, env, extraArgs, bin.`;

function addSpecOptions(command: Command): Command {
  return command
    .argument('[spec]', 'job spec file (YAML)')
    .option('--files <glob>', 'one unit per file matching this glob')
    .option('--cwd <dir>', 'directory the glob is relative to (default: .)')
    .option('--exclude <glob...>', 'globs to leave out')
    .option('--limit <n>', 'only the first N matching files')
    .option('--prompt <template>', 'prompt template, with {{placeholders}}')
    .option('--prompt-file <file>', 'read the prompt template from a file')
    .option('--name <name>', 'job name (default: from the glob)')
    .option('--concurrency <n>', 'units running at once (default 4)')
    .option('--retries <n>', 'retries per unit (default 3)')
    .option('--test-units <n>', 'units to run first for approval; 0 skips (default 1)')
    .option('--budget-usd <usd>', 'pause the job when its spend reaches this')
    .option('--model <model>', 'Claude model (e.g. sonnet, opus)')
    .option('--max-turns <n>', 'turn limit per unit')
    .option('--allowed-tools <list>', 'comma-separated tools the agent may use, e.g. Read,Write')
    .option('--permission-mode <mode>', 'default | acceptEdits | bypassPermissions | plan | dontAsk')
    .option('--timeout <seconds>', 'per attempt (default 600)')
    .option('--add-dirs <unit|dirs>', "'unit' (each unit's directory) or comma-separated directories")
    .option('--append-system-prompt <text>', 'appended to the agent system prompt')
    .option('--claude-bin <path>', 'agent binary (default: CLAUDE_BIN, else the bundled claude)')
    .option('--rehearse', 'run against the bundled scripted API: offline, free, deterministic');
}

export function registerRunCommands(program: Command): void {
  addSpecOptions(program.command('run'))
    .description('create a job, run its test units, ask for approval, then run the rest with live progress')
    .option('-y, --yes', 'approve automatically when every test unit succeeded')
    .option('--json', 'print the final status as one JSON document on stdout')
    .addHelpText('after', `
Exit status: 0 when the job COMPLETED, 1 when it FAILED, was CANCELLED or was left waiting
(test units failed under --yes, approval declined, budget reached), 2 on bad input.
Ctrl-C detaches: the job keeps running; \`agentic-batch watch JOB\` re-attaches.
${SPEC_EXAMPLE}

Examples:
  agentic-batch run --files 'docs/**/*.md' --prompt 'Summarize {{relative_path}} in one line.'
  agentic-batch run job.yaml --concurrency 16 --yes --json`)
    .action(action(async (specFile: string | undefined, opts: SpecFlags & { yes?: boolean; json?: boolean }) => {
      const spec = await specFromInputs(specFile, opts);
      const config = loadConfig();
      const units = await prepareJob(spec, config.claudeBin);
      const session = await openSession(config, { autoStart: true });
      try {
        return await runJob(session, spec, units, opts);
      } finally {
        await session.close();
      }
    }));

  addSpecOptions(program.command('create'))
    .description('create a job and start its test phase, without waiting (approve it later)')
    .option('--json', 'print {"jobId": …} on stdout')
    .addHelpText('after', SPEC_EXAMPLE)
    .action(action(async (specFile: string | undefined, opts: SpecFlags & { json?: boolean }) => {
      const spec = await specFromInputs(specFile, opts);
      const config = loadConfig();
      const units = await prepareJob(spec, config.claudeBin);
      const session = await openSession(config, { autoStart: true });
      try {
        const { jobId, totalUnits } = await createJob(session, spec, units);
        if (opts.json) printJson({ jobId, totalUnits });
        else say(`created ${jobId}: ${totalUnits} units. Follow it with: agentic-batch watch ${jobId}`);
      } finally {
        await session.close();
      }
    }));
}

async function runJob(
  session: Session,
  spec: JobSpec,
  units: readonly NewUnit[],
  opts: { yes?: boolean; json?: boolean },
): Promise<number> {
  const started = Date.now();
  const { jobId, totalUnits } = await createJob(session, spec, units);
  say(`created ${jobId}: ${totalUnits} units (${sourceFor(spec.source).describe(spec.source)})`);
  if (session.endpoints.uiUrl) say(`Web UI: ${session.endpoints.uiUrl}/namespaces/${session.config.namespace}/workflows/${jobId}`);

  let status = await waitForTests(session, jobId);
  while (status.state === 'READY') {
    say('');
    say(await testReport(session.db, status));
    const decision = await decide(status, opts.yes ?? false, jobId);
    if (decision === 'leave') {
      if (opts.json) printJson(statusJson(status));
      return 1;
    }
    if (decision === 'approve') {
      status = await approveJob(session, jobId);
      break;
    }
    try {
      await rejectJob(session, jobId, decision);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      say(`error: ${err.message}`);
      continue;
    }
    say(`re-testing with ${decision.prompt ? 'the revised prompt' : 'the same prompt'}…`);
    status = await waitForTests(session, jobId);
  }

  if (!isTerminal(status.state)) status = await watchUntilSettled(session, jobId, !opts.json);
  const { counts } = status;
  if (opts.json) printJson(statusJson(status));
  say(
    `${status.state}: ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.cancelled} cancelled · ` +
      `${usd(status.costUsd)} · ${duration(Date.now() - started)}${status.message ? ` · ${status.message}` : ''}`,
  );
  if (budgetPaused(status)) say(`raise the budget to go on: agentic-batch resume ${jobId} --budget-usd <more>`);
  say(`results: agentic-batch results ${jobId}   failures: agentic-batch units ${jobId} --status failed`);
  return status.state === 'COMPLETED' ? 0 : 1;
}

async function waitForTests(session: Session, jobId: string): Promise<JobStatus> {
  const stopDetach = detachOnInterrupt(jobId);
  let announced = -1;
  try {
    return await waitForStatus(
      session,
      jobId,
      (s) => s.state !== 'CREATED' && s.state !== 'TESTING',
      (s) => {
        if (s.state === 'TESTING' && s.templateVersion !== announced) {
          announced = s.templateVersion;
          say(`testing on ${s.counts.running || 'the first'} unit(s) with prompt v${s.templateVersion}…`);
        }
      },
      // Approval is decided on the test results, which only the workflow knows.
      { fromDatabaseIfNeeded: false },
    );
  } finally {
    stopDetach();
  }
}

type Decision = 'approve' | 'leave' | RejectRequest;

async function decide(status: JobStatus, autoApprove: boolean, jobId: string): Promise<Decision> {
  const failed = status.testResults.filter((r) => r.status !== 'succeeded');
  const remaining = status.counts.total - (status.testResults.length - failed.length);
  if (autoApprove) {
    if (failed.length === 0) return 'approve';
    say(`not approving: ${failed.length} test unit(s) failed (${failed.map((r) => r.error ?? r.status).join('; ')}).`);
    say(`the job is READY: fix and re-test with \`agentic-batch reject ${jobId} --feedback … --prompt …\`, or approve it anyway with \`agentic-batch approve ${jobId}\``);
    return 'leave';
  }
  if (!process.stdin.isTTY) {
    say('stdin is not a terminal, so nobody can approve here; pass --yes to approve when the test units succeed.');
    say(`the job is READY: approve with \`agentic-batch approve ${jobId}\`, or cancel with \`agentic-batch cancel ${jobId}\``);
    return 'leave';
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = (await rl.question(`Approve and run the remaining ${remaining} units? [y/N/e] `)).trim().toLowerCase();
      if (answer === 'y' || answer === 'yes') return 'approve';
      if (answer === '' || answer === 'n' || answer === 'no') {
        say(`left READY. Approve later with \`agentic-batch approve ${jobId}\`, or \`agentic-batch cancel ${jobId}\`.`);
        return 'leave';
      }
      if (answer === 'e' || answer === 'edit') {
        const feedback = (await rl.question('What was wrong? (feedback, one line): ')).trim() || 'revised by the user';
        say("New prompt template: type it, then a line with a single '.' (an empty first line keeps the current one).");
        const lines: string[] = [];
        for (;;) {
          const line = await rl.question('');
          if (line === '.' || (lines.length === 0 && line === '')) break;
          lines.push(line);
        }
        return lines.length ? { feedback, prompt: lines.join('\n') } : { feedback };
      }
      say("answer y (approve), n (leave it READY) or e (give feedback and a revised prompt, then re-test)");
    }
  } finally {
    rl.close();
  }
}
