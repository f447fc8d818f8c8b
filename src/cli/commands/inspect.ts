/** `list`, `watch`, `units`, `show`, `results`: look at jobs, units and conversations. */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { assertJobExists } from '../../client/jobs.js';
import { isPipelineId } from '../../client/pipelines.js';
import { resultPages, resultRecord, resultText, type ResultFormat } from '../../client/results.js';
import { statusJson } from '../../client/statusJson.js';
import { listJobs, requireJob, unitConversation } from '../../client/units.js';
import { UNIT_STATUSES, type UnitStatus } from '../../domain/index.js';
import { action, positiveInt } from '../action.js';
import { printJson, say } from '../output.js';
import { formatConversation } from '../render/conversation.js';
import { columnWidths, table, truncate, usd } from '../render/format.js';
import { jobOf, STAGE_OPTION } from '../target.js';
import { watchUntilSettled } from '../watchJob.js';
import { withSession } from '../withSession.js';
import { followPipeline } from './pipeline.js';

const statusOption = (): Option =>
  new Option('--status <status>', 'only units in this state').choices([...UNIT_STATUSES]);

export function registerInspectCommands(program: Command): void {
  program
    .command('list')
    .description('jobs, newest first')
    .option('--limit <n>', 'how many', positiveInt, 50)
    .option('--json', 'print an array of {jobId,name,status,totalUnits,costUsd,createdAt}')
    .action(
      action(async (opts: { limit: number; json?: boolean }) => {
        const jobs = await withSession((s) => listJobs(s, opts.limit));
        const rows = jobs.map((j) => ({
          jobId: j.id,
          name: j.name,
          status: j.state,
          totalUnits: j.totalUnits,
          costUsd: j.costUsd,
          createdAt: j.createdAt.toISOString(),
          message: j.message,
        }));
        if (opts.json) return printJson(rows);
        if (rows.length === 0) return say('no jobs yet: start one with `agentic-batch run`');
        console.log(
          table([
            ['JOB', 'STATUS', 'UNITS', 'COST', 'CREATED'],
            ...rows.map((r) => [
              r.jobId,
              r.status,
              String(r.totalUnits),
              usd(r.costUsd),
              r.createdAt.replace('T', ' ').slice(0, 19),
            ]),
          ]),
        );
      }),
    );

  program
    .command('watch <job>')
    .description('live progress of a job (or a pipeline) until it ends (Ctrl-C detaches; it keeps running)')
    .option('--yes', 'a pipeline: approve each stage whose test units succeeded')
    .option('--json', 'print the final status as JSON')
    .action(
      action(async (jobId: string, opts: { yes?: boolean; json?: boolean }) => {
        return withSession(async (session) => {
          if (isPipelineId(jobId)) return followPipeline(session, jobId, opts);
          await assertJobExists(session, jobId);
          const status = await watchUntilSettled(session, jobId, true);
          if (opts.json) printJson(statusJson(status));
          else say(`${status.state}${status.message ? `: ${status.message}` : ''}`);
          return status.state === 'COMPLETED' ? 0 : 1;
        });
      }),
    );

  program
    .command('units <job>')
    .description("a job's units with their state, attempts, cost and error")
    .addOption(statusOption())
    .option(...STAGE_OPTION)
    .option('--json', 'print one JSON object per line')
    .action(
      action(async (id: string, opts: { status?: UnitStatus; stage?: string; json?: boolean }) => {
        await withSession(async (session) => {
          const jobId = await jobOf(session, id, opts.stage);
          // A page at a time: a million units never sit in memory. Columns take the first page's
          // widths, ids the width of the largest.
          const { totalUnits } = await requireJob(session, jobId);
          let widths: number[] | null = null;
          for await (const page of resultPages(session, jobId, opts.status)) {
            if (opts.json) {
              process.stdout.write(`${page.map((r) => JSON.stringify(r)).join('\n')}\n`);
              continue;
            }
            const rows = page.map((u) => [
              String(u.unitId),
              u.status,
              String(u.attempts),
              usd(u.costUsd),
              u.key,
              truncate(u.error ?? '', 80),
            ]);
            if (!widths) rows.unshift(['ID', 'STATUS', 'ATTEMPTS', 'COST', 'KEY', 'ERROR']);
            widths ??= columnWidths(rows).map((w, i) => (i === 0 ? Math.max(w, String(totalUnits).length) : w));
            process.stdout.write(`${table(rows, widths)}\n`);
          }
          if (!widths && !opts.json) console.log(`no ${opts.status ?? ''} units`.replace('  ', ' '));
        });
      }),
    );

  program
    .command('show <job> <unit>')
    .description("a unit's conversation, attempt by attempt (unit = its id or its key)")
    .option(...STAGE_OPTION)
    .option('--json', 'print the attempts and raw events as JSON')
    .action(
      action(async (id: string, unitRef: string, opts: { stage?: string; json?: boolean }) => {
        await withSession(async (session) => {
          const jobId = await jobOf(session, id, opts.stage);
          const { unit, attempts } = await unitConversation(session, jobId, unitRef, { eventsPerAttempt: null });
          if (opts.json) return printJson({ unit: resultRecord(unit), attempts });
          console.log(formatConversation(unit, attempts));
        });
      }),
    );

  program
    .command('results <job>')
    .description("export every unit's outcome as JSONL (default) or CSV")
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .addOption(statusOption())
    .option('--out <file>', 'write to this file (atomically) instead of stdout')
    .option(...STAGE_OPTION)
    .addHelpText(
      'after',
      `
Each JSONL line: {"unitId","key","status","result","error","costUsd","sessionId","attempts","durationMs"},
and "output" (the unit's structured output, or null) when the job's spec has output.schema;
"verified" and "verifyRuns" ([{exitCode, durationMs, outputTail, at}]) when it has verify;
"branch", "commit", "filesChanged", "insertions", "deletions" when it has isolation: worktree
(branch and commit null when the unit changed nothing). CSV gets the same columns, and one
"output.FIELD" column per top-level field of the schema, in alphabetical order.`,
    )
    .action(
      action(async (id: string, opts: { format: ResultFormat; status?: UnitStatus; out?: string; stage?: string }) => {
        await withSession(async (session) => {
          const jobId = await jobOf(session, id, opts.stage);
          const chunks = resultText(session, jobId, opts);
          const tmp = opts.out ? `${opts.out}.${process.pid}.tmp` : null;
          const out = tmp ? createWriteStream(tmp) : process.stdout;
          const write = (text: string) =>
            new Promise<void>((resolve, reject) => out.write(text, (err) => (err ? reject(err) : resolve())));
          let count = 0;
          try {
            for await (const { text, units } of chunks) {
              await write(text);
              count += units;
            }
            if (tmp) {
              out.end();
              await finished(out);
              await rename(tmp, opts.out!);
              say(`wrote ${count} units to ${opts.out}`);
            }
          } catch (err) {
            if (tmp) {
              out.destroy();
              await rm(tmp, { force: true });
            }
            throw err;
          }
        });
      }),
    );
}
