/** `up`, `down`, `worker`: the background stack and standalone workers. */
import type { Command } from 'commander';
import { resolveEndpoints } from '../../client/session.js';
import { loadConfig } from '../../config.js';
import { redactUrl } from '../../redact.js';
import { startStackInBackground, stopBackgroundStack } from '../../stack/background.js';
import { runStack } from '../../stack/supervisor.js';
import { createWorker } from '../../worker/createWorker.js';
import { action, positiveInt } from '../action.js';
import { printJson, say } from '../output.js';

export function registerStackCommands(program: Command): void {
  program
    .command('up')
    .description('start the embedded stack: Temporal dev server (with Web UI), Postgres and a worker')
    .option('-d, --detach', 'run in the background and return once it is ready')
    .option('--max-concurrent-agents <n>', 'agent processes the worker runs at once', positiveInt, 100)
    .option('--json', 'print where the services listen as JSON')
    .addHelpText(
      'after',
      `
Unfinished jobs continue where they were when the stack comes back. TEMPORAL_ADDRESS and
DATABASE_URL, when set, are used instead of starting the embedded servers.`,
    )
    .action(
      action(async (opts: { detach?: boolean; maxConcurrentAgents: number; json?: boolean }) => {
        const config = loadConfig();
        if (!opts.detach) {
          await runStack(config, {
            maxConcurrentAgents: opts.maxConcurrentAgents,
            log: (line) => say(`[stack] ${line}`),
          });
          return;
        }
        const info = await startStackInBackground(config, [
          '--max-concurrent-agents',
          String(opts.maxConcurrentAgents),
        ]);
        if (opts.json) return printJson({ ...info, databaseUrl: redactUrl(info.databaseUrl) });
        say(`stack up (pid ${info.supervisorPid})`);
        say(`  Temporal  ${info.temporalAddress}${info.uiUrl ? `   Web UI ${info.uiUrl}` : ''}`);
        say(`  Postgres  ${redactUrl(info.databaseUrl)}`);
        say(`  worker    task queue ${info.taskQueue}; logs in ${config.home}`);
      }),
    );

  program
    .command('down')
    .description('stop the background stack (running agents are stopped and retried on the next `up`)')
    .action(
      action(async () => {
        const stopped = await stopBackgroundStack(loadConfig());
        say(stopped ? 'stack stopped' : 'the stack was not running');
      }),
    );

  program
    .command('worker')
    .description('run a worker in the foreground against TEMPORAL_ADDRESS/DATABASE_URL or the running stack')
    .option('--max-concurrent-agents <n>', 'agent processes this worker runs at once', positiveInt, 100)
    .addHelpText(
      'after',
      `
Start as many workers as you like, on as many machines: they share the task queue
(AGENTIC_BATCH_TASK_QUEUE, default agentic-batch). Ctrl-C drains: running agents get 5s,
then are stopped and retried on another worker.`,
    )
    .action(
      action(async (opts: { maxConcurrentAgents: number }) => {
        const config = loadConfig();
        const endpoints = await resolveEndpoints(config, { autoStart: false });
        const { worker, close } = await createWorker(config, endpoints, {
          maxConcurrentAgents: opts.maxConcurrentAgents,
        });
        say(`worker polling ${config.taskQueue} on ${endpoints.temporalAddress} (pid ${process.pid})`);
        const stop = () => worker.getState() === 'RUNNING' && worker.shutdown();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await worker.run();
        } finally {
          await close();
        }
      }),
    );
}
