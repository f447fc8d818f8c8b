/**
 * `npm run bench`: the engine and its baseline in one run, ratios reported.
 *   --units N --latency-ms L --concurrency C   throughput against `xargs -P C` (bench/throughput.ts)
 *   --agent claude                             the same with the real claude against a scripted API
 *   --rate-limit R [--agent api-emitter|claude] [--declare-limit] [--jobs K]
 *                                              the governor against an API admitting R requests/s (bench/governor.ts)
 *   --create N                                 creating a job over a CSV of N rows (bench/create.ts)
 *   --hermetic N                               a user's agent setup, loaded or not, N runs each (bench/hermetic.ts)
 */
import { Command, Option } from 'commander';
import { positiveInt } from '../src/cli/action.js';
import { benchCreate } from './create.js';
import { benchGovernor } from './governor.js';
import { benchHermetic } from './hermetic.js';
import { benchThroughput } from './throughput.js';

const opts = new Command('bench')
  .description('the engine against its baseline, in one run')
  .option('--units <n>', 'units in the job', positiveInt, 500)
  .option('--latency-ms <ms>', 'how long each emitted agent run takes', positiveInt, 1000)
  .option('--concurrency <n>', 'units at once, for both', positiveInt, 32)
  .addOption(
    new Option(
      '--agent <agent>',
      'the stream-json emitter, the real claude against a scripted API, or (with --rate-limit) the emitter making one API request',
    ).choices(['emitter', 'claude', 'api-emitter']),
  )
  .option(
    '--rate-limit <per-second>',
    'instead: the governor, against a scripted API admitting this many requests a second',
    positiveInt,
  )
  .option(
    '--create <rows>',
    'instead: create a job over a CSV of this many rows, and time the commands on it',
    positiveInt,
  )
  .option(
    '--hermetic <runs>',
    "instead: claude and codex with a user's setup (MCP servers, hooks) loaded and not, this many runs each",
    positiveInt,
  )
  .option('--jobs <n>', 'with --rate-limit: this many jobs at once against the one API', positiveInt)
  .option('--declare-limit', "with --rate-limit: the job's spec declares the API's limit (requestsPerMinute)")
  .option('--json', 'print one JSON document')
  .parse()
  .opts<{
    units: number;
    latencyMs: number;
    concurrency: number;
    agent?: 'emitter' | 'claude' | 'api-emitter';
    rateLimit?: number;
    declareLimit?: boolean;
    jobs?: number;
    create?: number;
    hermetic?: number;
    json?: boolean;
  }>();

if (opts.hermetic !== undefined) {
  await benchHermetic(opts.hermetic, opts.json ?? false);
} else if (opts.create !== undefined) {
  await benchCreate(opts.create, opts.json ?? false);
} else if (opts.rateLimit !== undefined) {
  if (opts.agent === 'emitter')
    throw new Error('--rate-limit runs api-emitter or claude: the emitter makes no request');
  await benchGovernor({ ...opts, rateLimit: opts.rateLimit, agent: opts.agent ?? 'api-emitter' });
} else {
  if (opts.agent === 'api-emitter') throw new Error('--agent api-emitter goes with --rate-limit');
  await benchThroughput({ ...opts, agent: opts.agent ?? 'emitter' });
}
