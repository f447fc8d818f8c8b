/**
 * `npm run bench -- --create N [--json]`: how long `agentic-batch create` takes over a CSV of N
 * rows, and the CLI's peak memory, on a private stack with a worker. Then, on that N-unit job,
 * how long the commands people run on a big job take: status, a page of units, the whole
 * results export, and cancel.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { execa } from 'execa';
import { startPrivateServers } from '../src/stack/privateServers.js';
import { peakRss, round } from './measure.js';
import { CLI, EMITTER, startWorker } from './worker.js';

export async function benchCreate(rows: number, json: boolean): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log('starting a private stack…');
  const servers = await startPrivateServers({ prefix: 'agentic-batch-bench-' });
  const cleanups: (() => Promise<unknown>)[] = [
    () => servers.stop(),
    () => rm(servers.home, { recursive: true, force: true }),
  ];
  try {
    const env = {
      TEMPORAL_ADDRESS: servers.temporalAddress,
      DATABASE_URL: servers.databaseUrl,
      AGENTIC_BATCH_TASK_QUEUE: 'bench',
      AGENTIC_BATCH_HOME: servers.home,
    };
    const worker = await startWorker(env, 4);
    cleanups.unshift(worker.stop);

    const file = path.join(servers.home, 'products.csv');
    log(`writing a CSV of ${rows.toLocaleString('en-US')} rows…`);
    await writeCsv(file, rows);

    /** One CLI command, timed, with its peak RSS. */
    const cli = async (args: string[]) => {
      const started = performance.now();
      const child = execa('node', [CLI, ...args], {
        env,
        cwd: servers.home,
        reject: false,
        stdout: 'pipe',
        stderr: 'pipe',
        buffer: true,
      });
      const rss = peakRss(child.pid!);
      const result = await child;
      const peakMb = rss.stop();
      if (result.exitCode !== 0)
        throw new Error(`agentic-batch ${args[0]} exited ${result.exitCode}: ${result.stderr}`);
      return { wallMs: Math.round(performance.now() - started), peakRssMb: peakMb, stdout: String(result.stdout) };
    };

    log('create…');
    const create = await cli([
      'create',
      '--csv',
      file,
      '--key',
      'sku',
      '--json',
      '--test-units',
      '1',
      '--agent-bin',
      EMITTER,
      '--prompt',
      'Write a description of {{name}} ({{price}} EUR, {{category}}) to out/{{_key}}.md',
    ]);
    const { jobId, totalUnits } = JSON.parse(create.stdout) as { jobId: string; totalUnits: number };
    if (totalUnits !== rows) throw new Error(`created ${totalUnits} units, expected ${rows}`);

    log('waiting for the test unit…');
    for (;;) {
      const status = JSON.parse((await cli(['status', jobId, '--json'])).stdout) as { status: string };
      if (status.status === 'READY') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    log('status, units, results, cancel…');
    const status = await cli(['status', jobId, '--json']);
    const units = await cli(['units', jobId, '--status', 'succeeded', '--json']);
    const results = await cli(['results', jobId, '--out', path.join(servers.home, 'results.jsonl')]);
    const cancel = await cli(['cancel', jobId, '--json']);

    const report = {
      rows,
      create: {
        wallMs: create.wallMs,
        peakRssMb: create.peakRssMb,
        rowsPerSec: Math.round(rows / (create.wallMs / 1000)),
      },
      onTheJob: {
        statusMs: status.wallMs,
        unitsPageMs: units.wallMs,
        resultsExport: { wallMs: results.wallMs, peakRssMb: results.peakRssMb },
        cancelMs: cancel.wallMs,
      },
    };
    if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      console.log(
        `create over a ${rows.toLocaleString('en-US')}-row CSV: ${round(create.wallMs / 1000)} s, CLI peak RSS ${create.peakRssMb} MB (${report.create.rowsPerSec.toLocaleString('en-US')} rows/s)`,
      );
      console.log(
        `on the job: status ${status.wallMs} ms · units (1 succeeded) ${units.wallMs} ms · results of every unit ${results.wallMs} ms (peak RSS ${results.peakRssMb} MB) · cancel ${cancel.wallMs} ms`,
      );
    }
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

/** Rows that look like a product export: quoted text with commas, some multi-line, some unicode. */
async function writeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('sku,name,price,category,description\n');
  const categories = ['lamps', 'chairs', 'desks', 'café tables', 'shelves'];
  for (let i = 1; i <= rows; i++) {
    const description =
      i % 10 === 0
        ? `"Solid oak, hand-finished.\nShips in ""flat-pack"" form."`
        : `"Sturdy, light and easy to clean; item ${i}."`;
    const line = `SKU-${String(i).padStart(8, '0')},Product ${i},${(i % 500) + 0.99},${categories[i % 5]},${description}\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
}
