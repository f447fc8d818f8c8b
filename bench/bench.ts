/**
 * `npm run bench`: the engine and its baseline in one run, ratios reported.
 *   --units N --latency-ms L --concurrency C   throughput against `xargs -P C` (bench/throughput.ts)
 *   --agent claude                             the same with the real claude against a scripted API
 *   --create N                                 creating a job over a CSV of N rows (bench/create.ts)
 */
import { Command, Option } from 'commander';
import { positiveInt } from '../src/cli/action.js';
import { benchCreate } from './create.js';
import { benchThroughput } from './throughput.js';

const opts = new Command('bench')
  .description('the engine against its baseline, in one run')
  .option('--units <n>', 'units in the job', positiveInt, 500)
  .option('--latency-ms <ms>', 'how long each emitted agent run takes', positiveInt, 1000)
  .option('--concurrency <n>', 'units at once, for both', positiveInt, 32)
  .addOption(
    new Option('--agent <agent>', 'the stream-json emitter, or the real claude against a scripted API')
      .choices(['emitter', 'claude'])
      .default('emitter'),
  )
  .option(
    '--create <rows>',
    'instead: create a job over a CSV of this many rows, and time the commands on it',
    positiveInt,
  )
  .option('--json', 'print one JSON document')
  .parse()
  .opts<{
    units: number;
    latencyMs: number;
    concurrency: number;
    agent: 'emitter' | 'claude';
    create?: number;
    json?: boolean;
  }>();

if (opts.create !== undefined) await benchCreate(opts.create, opts.json ?? false);
else await benchThroughput(opts);
