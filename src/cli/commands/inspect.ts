/** `list`, `watch`, `units`, `show`, `results`: look at jobs, units and conversations. */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { Command, Option } from 'commander';
import { Option as CommanderOption } from 'commander';
import { assertJobExists } from '../../client/jobs.js';
import type { Session } from '../../client/session.js';
import { UsageError } from '../../errors.js';
import { listAttempts, listEvents } from '../../store/attempts.js';
import { getJob, listJobs } from '../../store/jobs.js';
import { findUnit, listUnits, type UnitRow } from '../../store/units.js';
import { UNIT_STATUSES, type UnitStatus } from '../../../workflows/messages.js';
import { withSession } from '../withSession.js';
import { action, positiveInt } from '../action.js';
import { printJson, say, statusJson } from '../output.js';
import { formatConversation } from '../render/conversation.js';
import { table, truncate, usd } from '../render/format.js';
import { watchUntilSettled } from '../watchJob.js';


async function requireJob(session: Session, jobId: string) {
  const job = await getJob(session.db, jobId);
  if (!job) throw new UsageError(`no job ${jobId}`, 'list jobs with `agentic-batch list`');
  return job;
}

const statusOption = (): Option =>
  new CommanderOption('--status <status>', 'only units in this state').choices([...UNIT_STATUSES]);

/** Every unit of a job in order, a page at a time, so 100k units never sit in memory at once. */
async function* allUnits(session: Session, jobId: string, status?: UnitStatus): AsyncGenerator<UnitRow> {
  let after = 0;
  for (;;) {
    const page = await listUnits(session.db, jobId, { status, afterUnitId: after, limit: 1000 });
    yield* page;
    if (page.length < 1000) return;
    after = page[page.length - 1]!.unitId;
  }
}

export function resultRecord(u: UnitRow) {
  return {
    unitId: u.unitId,
    key: u.key,
    status: u.status,
    result: u.result,
    error: u.error,
    costUsd: u.costUsd,
    sessionId: u.sessionId,
    attempts: u.attempts,
    durationMs: u.durationMs,
  };
}

const CSV_COLUMNS = ['unitId', 'key', 'status', 'result', 'error', 'costUsd', 'sessionId', 'attempts', 'durationMs'] as const;

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function registerInspectCommands(program: Command): void {
  program
    .command('list')
    .description('jobs, newest first')
    .option('--limit <n>', 'how many', positiveInt, 50)
    .option('--json', 'print an array of {jobId,name,status,totalUnits,costUsd,createdAt}')
    .action(action(async (opts: { limit: number; json?: boolean }) => {
      const jobs = await withSession((s) => listJobs(s.db, opts.limit));
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
      console.log(table([
        ['JOB', 'STATUS', 'UNITS', 'COST', 'CREATED'],
        ...rows.map((r) => [r.jobId, r.status, String(r.totalUnits), usd(r.costUsd), r.createdAt.replace('T', ' ').slice(0, 19)]),
      ]));
    }));

  program
    .command('watch <job>')
    .description('live progress of a job until it ends (Ctrl-C detaches; the job keeps running)')
    .option('--json', 'print the final status as JSON')
    .action(action(async (jobId: string, opts: { json?: boolean }) => {
      return withSession(async (session) => {
        await assertJobExists(session, jobId);
        const status = await watchUntilSettled(session, jobId, true);
        if (opts.json) printJson(statusJson(status));
        else say(`${status.state}${status.message ? `: ${status.message}` : ''}`);
        return status.state === 'COMPLETED' ? 0 : 1;
      });
    }));

  program
    .command('units <job>')
    .description("a job's units with their state, attempts, cost and error")
    .addOption(statusOption())
    .option('--json', 'print one JSON object per line')
    .action(action(async (jobId: string, opts: { status?: UnitStatus; json?: boolean }) => {
      await withSession(async (session) => {
        await requireJob(session, jobId);
        const rows: string[][] = [['ID', 'STATUS', 'ATTEMPTS', 'COST', 'KEY', 'ERROR']];
        for await (const u of allUnits(session, jobId, opts.status)) {
          if (opts.json) printJson(resultRecord(u));
          else rows.push([String(u.unitId), u.status, String(u.attempts), usd(u.costUsd), u.key, truncate(u.error ?? '', 80)]);
        }
        if (!opts.json) console.log(rows.length > 1 ? table(rows) : `no ${opts.status ?? ''} units`.replace('  ', ' '));
      });
    }));

  program
    .command('show <job> <unit>')
    .description("a unit's conversation, attempt by attempt (unit = its id or its key)")
    .option('--json', 'print the attempts and raw events as JSON')
    .action(action(async (jobId: string, unitRef: string, opts: { json?: boolean }) => {
      await withSession(async (session) => {
        await requireJob(session, jobId);
        const unit = await findUnit(session.db, jobId, unitRef);
        if (!unit) throw new UsageError(`job ${jobId} has no unit ${unitRef}`, 'list them with `agentic-batch units JOB`');
        const attempts = await listAttempts(session.db, jobId, unit.unitId);
        const withEvents = await Promise.all(attempts.map(async (attempt) => ({ attempt, events: await listEvents(session.db, attempt.id) })));
        if (opts.json) return printJson({ unit: resultRecord(unit), attempts: withEvents });
        console.log(formatConversation(unit, withEvents));
      });
    }));

  program
    .command('results <job>')
    .description('export every unit\'s outcome as JSONL (default) or CSV')
    .addOption(new CommanderOption('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .addOption(statusOption())
    .option('--out <file>', 'write to this file (atomically) instead of stdout')
    .addHelpText('after', `
Each JSONL line: {"unitId","key","status","result","error","costUsd","sessionId","attempts","durationMs"}`)
    .action(action(async (jobId: string, opts: { format: 'jsonl' | 'csv'; status?: UnitStatus; out?: string }) => {
      await withSession(async (session) => {
        await requireJob(session, jobId);
        const tmp = opts.out ? `${opts.out}.${process.pid}.tmp` : null;
        const out = tmp ? createWriteStream(tmp) : process.stdout;
        const write = (line: string) => new Promise<void>((resolve, reject) => out.write(`${line}\n`, (err) => (err ? reject(err) : resolve())));
        let count = 0;
        try {
          if (opts.format === 'csv') await write(CSV_COLUMNS.join(','));
          for await (const u of allUnits(session, jobId, opts.status)) {
            const record = resultRecord(u);
            await write(opts.format === 'csv' ? CSV_COLUMNS.map((c) => csvCell(record[c])).join(',') : JSON.stringify(record));
            count += 1;
          }
          if (tmp) {
            out.end();
            await finished(out);
            await rename(tmp, opts.out!);
            say(`wrote ${count} units to ${opts.out}`);
          }
        } catch (err) {
          if (tmp) await rm(tmp, { force: true });
          throw err;
        }
      });
    }));
}
