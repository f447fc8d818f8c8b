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
    .description("serve the dashboard's HTTP API (JSON under /api, token required; the pages are being built)")
    .option('--port <n>', 'port (default 8484; 0 takes any free one)', '8484')
    .option('--host <host>', 'address to listen on (default loopback; anything else exposes it)', '127.0.0.1')
    .option('--json', 'print {"url","port","token"}')
    .addHelpText(
      'after',
      `
Every route needs the token: open the printed URL once (the token becomes an HttpOnly cookie),
or send Authorization: Bearer <token>. The token is kept in AGENTIC_BATCH_HOME/dashboard-token.
API: GET /api/jobs, /api/jobs/:id, /api/jobs/:id/units?status=&q=&cursor=, /api/jobs/:id/units/:unit,
/api/jobs/:id/events (server-sent events); POST /api/jobs/:id/{approve,reject,pause,resume,cancel,retry}.`,
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
