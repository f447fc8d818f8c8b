/** `run` (create, test, approve, watch: the whole job in one command) and `create`. */
import { Option, type Command } from 'commander';
import { createJob, prepareJob, type ReadContext } from '../../client/createJob.js';
import { stackDashboardLink } from '../../client/dashboardLink.js';
import { approveJob, rejectJob } from '../../client/jobs.js';
import { openSession, type Session } from '../../client/session.js';
import { statusJson } from '../../client/statusJson.js';
import { newestAttempts } from '../../client/units.js';
import { workflowUiUrl } from '../../client/webUi.js';
import { loadConfig } from '../../config.js';
import { budgetPaused, isTerminal, type JobStatus } from '../../domain/index.js';
import { UsageError } from '../../errors.js';
import { readSpecFile } from '../../spec/loadSpec.js';
import { isPipeline } from '../../spec/pipeline.js';
import type { JobSpec } from '../../spec/schema.js';
import { action } from '../action.js';
import { decide } from '../decide.js';
import { promptFromIntent } from '../intent.js';
import { printJson, say } from '../output.js';
import { duration, forecastLine, usd } from '../render/format.js';
import { testReport } from '../render/testReport.js';
import { jsonFlag, specFromInputs, type SpecFlags } from '../specFromFlags.js';
import { detachOnInterrupt, waitForStatus, watchUntilSettled } from '../watchJob.js';
import { createPipelineFile, refuseSpecFlags, runPipelineFile } from './pipeline.js';

const SPEC_EXAMPLE = `
Sources (one per job):
  --files GLOB [--cwd DIR] [--exclude GLOB…]   one unit per file; key: its relative path
  --csv FILE [--delimiter C]                   one unit per row; the header names the fields
  --json FILE [--pointer /items]               one unit per element of the array at the pointer
  --jsonl FILE                                 one unit per line (a JSON object)
  --sql QUERY --db URL                         one unit per row of a Postgres query (read-only);
                                               without --db, the URL is read from SOURCE_DATABASE_URL
  --sql QUERY --sqlite FILE                    one unit per row of an SQLite query (read-only)
  --lines-from CMD [--cwd DIR]                 one unit per non-empty line CMD prints: {{line}} {{index}}
  --from-module FILE [--export NAME]           one unit per record a function of your module returns
  --key FIELD names the field that identifies each unit (default: the path, the line, or the
  record number); --limit N takes the first N.

Placeholders: {{field}}, {{a.b.c}} (nested), {{_key}}, {{_index}} (1-based), {{_json}} (the whole
record). Files: {{file_path}} {{relative_path}} {{file_name}} {{file_extension}} {{file_size}}.
Every unit is checked before anything runs: a record without a field the prompt uses is an error.

Agents: --agent claude (default) | command | codex. --agent-command 'python3 fix.py {{_key}}' runs
any program per unit (arguments are templates; no shell), --agent-stdin prompt writes the prompt
to its stdin. --agent-bin overrides the program (--claude-bin for claude).

Spec file (YAML); flags override its fields:
  name: summarize-docs
  source: { type: csv, path: products.csv, key: sku, limit: 100 }
  prompt: |
    Write a description of {{name}} ({{price}} EUR) to out/{{_key}}.md
  agent: { type: claude, model: sonnet, maxTurns: 10, allowedTools: [Read, Write],
           permissionMode: acceptEdits, timeoutSeconds: 600 }
  concurrency: 4      # units running at once
  retries: 3          # retries per unit after the first attempt
  testUnits: 1        # units run first for approval; 0 skips the test phase
  budgetUsd: 5        # pause the job when its spend reaches this

Source keys: files {glob, cwd, exclude}, csv {path, delimiter}, json {path, pointer}, jsonl {path},
sql {query, urlEnv}, sqlite {path, query}, command {command, cwd}, module {path, export}; all: key, limit.
Agent keys (all): bin, cwd, env, timeoutSeconds, idleTimeoutSeconds, heartbeatTimeoutSeconds,
retryDelaySeconds. claude: model, maxTurns, allowedTools, disallowedTools, permissionMode, addDirs,
appendSystemPrompt, maxBudgetUsd, resumeOnRetry, rehearse, extraArgs. command: command, stdin,
nonRetryableExitCodes. codex: model, sandbox, resumeOnRetry, rehearse, extraArgs.

Checked, isolated results (spec keys):
  output: { schema: {…} } | { schemaFile: out.json }  each unit answers with an object that fits
  verify: { command: [npm, test], timeoutSeconds: 300, attempts: 2 }  a failed check is repaired
  isolation: { type: worktree, base: HEAD, branch: PREFIX }  a git worktree and branch per unit;
                                               merge them with \`agentic-batch apply JOB\``;

function addSpecOptions(command: Command): Command {
  return command
    .argument('[spec]', 'job spec file (YAML)')
    .option('--files <glob>', 'one unit per file matching this glob')
    .option('--csv <file>', 'one unit per row of a CSV file (its header names the fields)')
    .addOption(
      new Option('--json [file]', 'with FILE: one unit per element of a JSON array; alone: print JSON')
        .preset('')
        .argParser(jsonFlag),
    )
    .option('--jsonl <file>', 'one unit per line of a JSON Lines file')
    .option('--sql <query>', 'one unit per row of a query (Postgres with --db, or SQLite with --sqlite)')
    .option('--db <url>', 'the Postgres connection string for --sql (never stored; default: $SOURCE_DATABASE_URL)')
    .option('--sqlite <file>', 'the SQLite file for --sql, opened read-only')
    .option('--lines-from <command>', 'one unit per non-empty line this shell command prints')
    .option('--from-module <file>', 'one unit per record a function of this ES module returns')
    .option('--export <name>', 'the function of --from-module (default: the default export)')
    .option('--pointer <pointer>', 'JSON pointer to the array in --json FILE (e.g. /data/items)')
    .option('--delimiter <char>', 'CSV field delimiter (default: ,)')
    .option('--key <field>', 'the field that identifies each unit')
    .option('--cwd <dir>', 'directory the glob (or --lines-from command) starts from (default: .)')
    .option('--exclude <glob...>', 'globs to leave out')
    .option('--limit <n>', 'only the first N units')
    .option('--prompt <template>', 'prompt template, with {{placeholders}}')
    .option('--prompt-file <file>', 'read the prompt template from a file')
    .option('--intent <text>', 'what you want done: the agent writes the prompt template (you accept or edit it)')
    .option('--name <name>', 'job name (default: from the glob)')
    .option('--concurrency <n>', 'units running at once (default 4)')
    .option('--retries <n>', 'retries per unit (default 3)')
    .option('--test-units <n>', 'units to run first for approval; 0 skips (default 1)')
    .option('--budget-usd <usd>', 'pause the job when its spend reaches this')
    .option('--priority <1-5>', 'when jobs share workers, lower numbers start first (default 3)')
    .option('--requests-per-minute <n>', "the API's request limit, if known: units start no faster (one request each)")
    .option('--idempotency-key <key>', 'creating again with this key returns the same job instead of a new one')
    .option('--output-schema <file>', "a JSON Schema (JSON or YAML) each unit's structured output must fit")
    .option('--worktree', 'each unit works in its own git worktree and branch (see `apply`)')
    .option('--no-group-short-units', 'one activity per unit, even for units under 4 s (more Temporal round trips)')
    .option('--no-breaker', 'never pause the job because its last 20 units failed the same way')
    .option('--model <model>', 'Claude model (e.g. sonnet, opus)')
    .option('--max-turns <n>', 'turn limit per unit')
    .option('--allowed-tools <list>', 'comma-separated tools the agent may use, e.g. Read,Write')
    .option('--permission-mode <mode>', 'default | acceptEdits | bypassPermissions | plan | dontAsk')
    .option('--timeout <seconds>', 'per attempt (default 600)')
    .option('--add-dirs <unit|dirs>', "'unit' (each unit's directory) or comma-separated directories")
    .option('--append-system-prompt <text>', 'appended to the agent system prompt')
    .addOption(
      new Option('--agent <type>', 'the agent that runs each unit (default: claude)').choices([
        'claude',
        'command',
        'codex',
      ]),
    )
    .option('--agent-command <command>', "the command agent's program and arguments, e.g. 'python3 fix.py {{_key}}'")
    .addOption(new Option('--agent-stdin <what>', 'what the command agent gets on stdin').choices(['prompt', 'none']))
    .option('--agent-bin <path>', "the agent's program (default: the adapter's own)")
    .option('--claude-bin <path>', 'the claude binary (default: CLAUDE_BIN, else the bundled claude)')
    .option('--rehearse', 'run against the bundled scripted API: offline, free, deterministic');
}

export function registerRunCommands(program: Command): void {
  addSpecOptions(program.command('run'))
    .description('create a job, run its test units, ask for approval, then run the rest with live progress')
    .option('-y, --yes', 'approve automatically when every test unit succeeded')
    .addHelpText(
      'after',
      `
Exit status: 0 when the job COMPLETED, 1 when it FAILED, was CANCELLED or EXPIRED, or was left waiting
(test units failed under --yes, approval declined, budget reached), 2 on bad input.
Ctrl-C detaches: the job keeps running; \`agentic-batch watch JOB\` re-attaches (while the units
are being read and stored, Ctrl-C creates nothing). --json alone prints the final status as JSON.
${SPEC_EXAMPLE}

Examples:
  agentic-batch run --files 'docs/**/*.md' --prompt 'Summarize {{relative_path}} in one line.'
  agentic-batch run --csv products.csv --key sku --prompt 'Describe {{name}} ({{price}} EUR) in out/{{_key}}.md'
  agentic-batch run --jsonl tickets.jsonl --key id --prompt 'Triage ticket {{id}}: {{title}}'
  agentic-batch run --sql 'SELECT id, notes FROM customers WHERE flagged' --db "$CRM_URL" --key id --prompt '…{{notes}}…'
  agentic-batch run --lines-from "git ls-files '*.ts'" --prompt 'Add JSDoc to {{line}}'
  agentic-batch run job.yaml --concurrency 16 --yes --json`,
    )
    .action(
      action(async (specFile: string | undefined, opts: SpecFlags & { yes?: boolean }, command: Command) => {
        const pipeline = specFile ? await readSpecFile(specFile) : null;
        if (pipeline && isPipeline(pipeline.raw)) {
          refuseSpecFlags(command);
          return runPipelineFile(pipeline.raw, pipeline.baseDir, specFile!, { yes: opts.yes, json: opts.json?.output });
        }
        const { spec, read, promptFromIntent: fromIntent } = await specFromInputs(specFile, opts);
        await prepareJob(spec, read);
        if (fromIntent) spec.prompt = await promptFromIntent(spec, read, !opts.yes);
        const session = await openSession(loadConfig(), { autoStart: true });
        try {
          return await runJob(session, spec, read, { yes: opts.yes, json: opts.json?.output });
        } finally {
          await session.close();
        }
      }),
    );

  addSpecOptions(program.command('create'))
    .description('create a job (or a pipeline) and start it, without waiting (approve it later)')
    .addHelpText(
      'after',
      `--json alone prints {"jobId", "totalUnits"} ({"pipelineId"} for a pipeline).\n${SPEC_EXAMPLE}`,
    )
    .action(
      action(async (specFile: string | undefined, opts: SpecFlags, command: Command) => {
        const pipeline = specFile ? await readSpecFile(specFile) : null;
        if (pipeline && isPipeline(pipeline.raw)) {
          refuseSpecFlags(command);
          return createPipelineFile(pipeline.raw, pipeline.baseDir, specFile!, { json: opts.json?.output });
        }
        const { spec, read, promptFromIntent: fromIntent } = await specFromInputs(specFile, opts);
        await prepareJob(spec, read);
        if (fromIntent) spec.prompt = await promptFromIntent(spec, read, false);
        const session = await openSession(loadConfig(), { autoStart: true });
        try {
          const { jobId, totalUnits, existing } = await storeJob(session, spec, read);
          if (opts.json?.output) printJson({ jobId, totalUnits, existing });
          else if (existing)
            say(
              `${jobId} already exists for idempotency key ${JSON.stringify(spec.idempotencyKey)}: ${totalUnits} units, nothing new created`,
            );
          else say(`created ${jobId}: ${totalUnits} units. Follow it with: agentic-batch watch ${jobId}`);
        } finally {
          await session.close();
        }
      }),
    );
}

async function runJob(
  session: Session,
  spec: JobSpec,
  read: ReadContext,
  opts: { yes?: boolean; json?: boolean },
): Promise<number> {
  const started = Date.now();
  const { jobId, totalUnits, existing } = await storeJob(session, spec, read);
  say(
    existing
      ? `following ${jobId}, which idempotency key ${JSON.stringify(spec.idempotencyKey)} created before: ${totalUnits} units`
      : `created ${jobId}: ${totalUnits} units`,
  );
  const webUi = workflowUiUrl(session, jobId);
  if (webUi) say(`Web UI: ${webUi}`);
  const dashboard = await stackDashboardLink(session, `/jobs/${encodeURIComponent(jobId)}`);
  if (dashboard) say(`Dashboard: ${dashboard}`);

  let status = await waitForTests(session, jobId);
  while (status.state === 'READY') {
    say('');
    say(
      testReport(
        status,
        await newestAttempts(
          session,
          jobId,
          status.testResults.map((r) => r.unitId),
        ),
      ),
    );
    const forecast = forecastLine(status);
    if (forecast) say(forecast);
    const decision = await decide(status, opts.yes ?? false, jobId);
    if (decision === 'leave') {
      if (opts.json) printJson(statusJson(status));
      return 1;
    }
    if (decision === 'approve' || decision === 'approveOverBudget') {
      status = await approveJob(session, jobId, { overBudget: decision === 'approveOverBudget' });
      break;
    }
    let revised: string | undefined;
    try {
      ({ revisedPrompt: revised } = await rejectJob(session, jobId, decision));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      say(`error: ${err.message}`);
      continue;
    }
    if (revised !== undefined) say(`the agent revised the prompt from your feedback:\n${revised}`);
    say(`re-testing with ${decision.prompt || revised ? 'the revised prompt' : 'the same prompt'}…`);
    status = await waitForTests(session, jobId);
  }

  if (!isTerminal(status.state)) status = await watchUntilSettled(session, jobId, !opts.json);
  const { counts } = status;
  if (opts.json) printJson(statusJson(status));
  say(
    `${status.state}: ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.cancelled} cancelled${counts.expired ? `, ${counts.expired} expired` : ''} · ` +
      `${usd(status.costUsd)} · ${duration(Date.now() - started)}${status.message ? ` · ${status.message}` : ''}`,
  );
  if (budgetPaused(status)) say(`raise the budget to go on: agentic-batch resume ${jobId} --budget-usd <more>`);
  say(`results: agentic-batch results ${jobId}   failures: agentic-batch units ${jobId} --status failed`);
  return status.state === 'COMPLETED' ? 0 : 1;
}

/**
 * Create the job, saying how far reading its source has got when that takes a while. Ctrl-C
 * meanwhile ends the process, and with it the transaction the units were going into.
 */
async function storeJob(session: Session, spec: JobSpec, read: ReadContext) {
  let shown = Date.now();
  const progress = (stored: number): void => {
    if (Date.now() - shown < 1000) return;
    shown = Date.now();
    say(`reading the source: ${stored.toLocaleString('en-US')} units stored…`);
  };
  const onInterrupt = (): void => {
    say('\ninterrupted: the job was not created, and nothing was stored');
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    return await createJob(session, spec, read, progress);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
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
