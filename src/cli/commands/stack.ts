/** `up`, `down`, `worker`: the background stack and standalone workers. */
import type { Command } from 'commander';
import { dashboardLink, dashboardToken } from '../../client/dashboardLink.js';
import { connectSession, resolveEndpoints, type Endpoints } from '../../client/session.js';
import { SERVER_WAIT } from '../../client/workerWait.js';
import { loadConfig, type Config } from '../../config.js';
import { redactUrl } from '../../redact.js';
import { startStackInBackground, stopBackgroundStack } from '../../stack/background.js';
import { freePort } from '../../stack/ports.js';
import { runStack } from '../../stack/supervisor.js';
import { serveDashboard } from '../../web/serve.js';
import { createWorker } from '../../worker/createWorker.js';
import type { MetricsEndpoint } from '../../worker/metrics.js';
import { action, nonNegativeInt, positiveInt } from '../action.js';
import { printJson, say } from '../output.js';

const MEMORY_RESERVE_OPTION = [
  '--memory-reserve-mb <mb>',
  'memory kept free when admitting agents (default 5% of it, at least 256; AGENTIC_BATCH_MEMORY_RESERVE_MB)',
  nonNegativeInt,
] as const;
const AGENT_MEMORY_OPTION = [
  '--agent-memory-mb <mb>',
  "what this worker's agents may take together, by what each kind took before (AGENTIC_BATCH_AGENT_MEMORY_MB)",
  positiveInt,
] as const;

export function registerStackCommands(program: Command): void {
  program
    .command('up')
    .description('start the embedded stack: Temporal dev server (with Web UI), Postgres and a worker')
    .option('-d, --detach', 'run in the background and return once it is ready')
    .option('--max-concurrent-agents <n>', 'agent processes the worker runs at once', positiveInt, 100)
    .option('--no-dashboard', 'do not serve the dashboard')
    .option(...MEMORY_RESERVE_OPTION)
    .option(...AGENT_MEMORY_OPTION)
    .option('--metrics-port <n>', "serve the worker's Prometheus metrics on this port (/metrics)", positiveInt)
    .option(
      '--metrics-host <host>',
      'address the metrics listen on (default loopback: they have no token)',
      '127.0.0.1',
    )
    .option('--json', 'print where the services listen as JSON (with dashboardUrl)')
    .addHelpText(
      'after',
      `
Unfinished jobs continue where they were when the stack comes back. TEMPORAL_ADDRESS and
DATABASE_URL, when set, are used instead of starting the embedded servers. The dashboard listens
on 127.0.0.1 (port 8484, or the next free one), token required: open the URL \`up\` prints.`,
    )
    .action(
      action(async (opts: UpFlags) => {
        const config = withMemoryFlags(loadConfig(), opts);
        if (!opts.detach) {
          const log = (line: string) => say(`[stack] ${line}`);
          await runStack(config, {
            maxConcurrentAgents: opts.maxConcurrentAgents,
            metrics: metricsEndpoint(opts, log),
            log,
            onReady: opts.dashboard ? (endpoints) => startDashboard(config, endpoints, log) : undefined,
          });
          return;
        }
        const info = await startStackInBackground(config, [
          '--max-concurrent-agents',
          String(opts.maxConcurrentAgents),
          ...(opts.dashboard ? [] : ['--no-dashboard']),
          ...(opts.memoryReserveMb === undefined ? [] : ['--memory-reserve-mb', String(opts.memoryReserveMb)]),
          ...(opts.agentMemoryMb === undefined ? [] : ['--agent-memory-mb', String(opts.agentMemoryMb)]),
          ...(opts.metricsPort ? ['--metrics-port', String(opts.metricsPort), '--metrics-host', opts.metricsHost] : []),
        ]);
        const dashboardUrl = info.dashboardUrl ? await dashboardLink(config.home, info.dashboardUrl) : null;
        if (opts.json) return printJson({ ...info, databaseUrl: redactUrl(info.databaseUrl), dashboardUrl });
        say(`stack up (pid ${info.supervisorPid})`);
        say(`  Temporal  ${info.temporalAddress}${info.uiUrl ? `   Web UI ${info.uiUrl}` : ''}`);
        if (dashboardUrl) say(`  Dashboard ${dashboardUrl}`);
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
    .option(...MEMORY_RESERVE_OPTION)
    .option(...AGENT_MEMORY_OPTION)
    .option(
      '--metrics-port <n>',
      "serve Prometheus metrics (the SDK's and the engine's) on this port (/metrics)",
      positiveInt,
    )
    .option(
      '--metrics-host <host>',
      'address the metrics listen on (default loopback: they have no token)',
      '127.0.0.1',
    )
    .addHelpText(
      'after',
      `
Start as many workers as you like, on as many machines: they share the task queue
(AGENTIC_BATCH_TASK_QUEUE, default agentic-batch). A worker starts another agent only while
the machine (or its container's memory limit) can hold it, by what that kind of agent took
before; units beyond wait in the worker, and \`status\` says so. Ctrl-C drains: running agents get 5s,
then are stopped and retried on another worker.`,
    )
    .action(
      action(async (opts: MetricsFlags & MemoryFlags & { maxConcurrentAgents: number }) => {
        const config = withMemoryFlags(loadConfig(), opts);
        const endpoints = await resolveEndpoints(config, { autoStart: false });
        const { worker, close } = await createWorker(config, endpoints, {
          maxConcurrentAgents: opts.maxConcurrentAgents,
          metrics: metricsEndpoint(opts, say),
        });
        const by = config.temporalAddress === endpoints.temporalAddress ? ` (by ${config.temporal.origin})` : '';
        say(`worker polling ${config.taskQueue} on ${endpoints.temporalAddress}${by} (pid ${process.pid})`);
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

interface MemoryFlags {
  memoryReserveMb?: number;
  agentMemoryMb?: number;
}

/** The flags over the environment's AGENTIC_BATCH_MEMORY_RESERVE_MB / AGENTIC_BATCH_AGENT_MEMORY_MB. */
function withMemoryFlags(config: Config, flags: MemoryFlags): Config {
  const { reserveMb, agentMemoryMb } = config.memory;
  const memory = { reserveMb: flags.memoryReserveMb ?? reserveMb, agentMemoryMb: flags.agentMemoryMb ?? agentMemoryMb };
  return { ...config, memory };
}

/** The stack's dashboard, on loopback: a session on the stack's own servers, the kept token. */
async function startDashboard(config: Config, endpoints: Endpoints, log: (line: string) => void) {
  const session = await connectSession(config, endpoints, SERVER_WAIT);
  try {
    const token = await dashboardToken(config.home);
    const dashboard = await serveDashboard(session, {
      host: '127.0.0.1',
      port: await freePort(8484),
      token,
      trustedProxies: config.trustedProxies,
    });
    const dashboardUrl = `http://127.0.0.1:${dashboard.port}`;
    log(`dashboard: ${dashboardUrl} (open it with the token: agentic-batch up -d prints the link)`);
    return {
      dashboardUrl,
      async close() {
        await dashboard.close();
        await session.close();
      },
    };
  } catch (err) {
    // The stack is useful without it: say why, and go on.
    log(`dashboard: not started (${(err as Error).message})`);
    await session.close();
    return { dashboardUrl: null, close: async () => undefined };
  }
}

interface MetricsFlags {
  metricsPort?: number;
  metricsHost: string;
}

interface UpFlags extends MetricsFlags, MemoryFlags {
  detach?: boolean;
  maxConcurrentAgents: number;
  dashboard: boolean;
  json?: boolean;
}

/** The metrics endpoint the flags ask for, said where it is. */
function metricsEndpoint(flags: MetricsFlags, log: (line: string) => void): MetricsEndpoint | null {
  if (!flags.metricsPort) return null;
  const host = flags.metricsHost.includes(':') ? `[${flags.metricsHost}]` : flags.metricsHost;
  log(`metrics: http://${host}:${flags.metricsPort}/metrics`);
  return { host: flags.metricsHost, port: flags.metricsPort };
}
