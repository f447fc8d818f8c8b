/** `dashboard`: the web dashboard in the foreground, until Ctrl-C. */
import type { Command } from 'commander';
import { dashboardToken } from '../../client/dashboardLink.js';
import { openSession } from '../../client/session.js';
import { loadConfig } from '../../config.js';
import { UsageError } from '../../errors.js';
import { serveDashboard } from '../../web/serve.js';
import { action } from '../action.js';
import { printJson, say } from '../output.js';

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description("serve the web dashboard (jobs, a job live, a unit's conversation) and its API, token required")
    .option('--port <n>', 'port (default 8484; 0 takes any free one)', '8484')
    .option('--host <host>', 'address to listen on (default loopback; anything else exposes it)', '127.0.0.1')
    .option('--json', 'print {"url","port","token"}')
    .addHelpText(
      'after',
      `
Open the printed URL once: the token in it becomes an HttpOnly cookie and every page works from
there (scripts send Authorization: Bearer <token>). The token is kept in
AGENTIC_BATCH_HOME/dashboard-token. \`up\` serves the dashboard with the stack; this command serves
one in the foreground (another port, another --host).
Pages: / (jobs), /jobs/JOB (live: approve, reject, pause, resume, cancel, retry; units), /jobs/JOB/units/KEY.
API: GET /api/jobs, /api/jobs/:id, /api/jobs/:id/units?status=&q=&sort=&cursor=, /api/jobs/:id/units/:unit,
/api/jobs/:id/units/:unit/diff, /api/jobs/:id/timeline, /api/jobs/:id/events (server-sent events),
/api/pipelines/:id; POST /api/jobs/:id/{approve,reject,pause,resume,cancel,retry}.`,
    )
    .action(
      action(async (opts: { port: string; host: string; json?: boolean }) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new UsageError(`--port ${opts.port} is not a port`, 'give 1–65535, or 0 for any free one');
        const config = loadConfig();
        const session = await openSession(config, { autoStart: true });
        const token = await dashboardToken(config.home);
        const dashboard = await serveDashboard(session, { host: opts.host, port, token }).catch(async (err: Error) => {
          await session.close();
          throw new UsageError(`cannot listen on ${opts.host}:${port}: ${err.message}`, 'choose another --port');
        });
        if (opts.json) printJson({ url: dashboard.url, port: dashboard.port, token });
        else say(`dashboard: ${dashboard.url}  (Ctrl-C stops it)`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await dashboard.close();
        await session.close();
      }),
    );
}
