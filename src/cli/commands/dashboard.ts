/** `dashboard`: the web dashboard in the foreground, until Ctrl-C. */
import type { Command } from 'commander';
import { dashboardToken } from '../../client/dashboardLink.js';
import { openSession } from '../../client/session.js';
import { SERVER_WAIT } from '../../client/workerWait.js';
import { loadConfig } from '../../config.js';
import { UsageError } from '../../errors.js';
import { freePort } from '../../stack/ports.js';
import { serveDashboard } from '../../web/serve.js';
import { action } from '../action.js';
import { printJson, say } from '../output.js';

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description("serve the web dashboard (jobs, a job live, a unit's conversation) and its API, token required")
    .option('--port <n>', 'port (default 8484, or the next free one; 0 takes any free one)')
    .option('--host <host>', 'address to listen on (default loopback; anything else exposes it)', '127.0.0.1')
    .option(
      '--trusted-proxy <addresses>',
      'reverse proxies (comma-separated addresses) whose X-Forwarded-Proto/-Host are believed (default AGENTIC_BATCH_TRUSTED_PROXIES)',
    )
    .option('--json', 'print {"url","port","token"} (and "running": true for the stack\'s own)')
    .addHelpText(
      'after',
      `
Open the printed URL once: the token in it becomes an HttpOnly cookie and every page works from
there (scripts send Authorization: Bearer <token>). The token is kept in
AGENTIC_BATCH_HOME/dashboard-token. \`up\` serves the dashboard with the stack; without --port
this command then prints that one's address instead of serving another (given --port, --host or
--trusted-proxy, it serves its own).
Behind a TLS reverse proxy (https://dash.example.com → 127.0.0.1:8484): pass the proxy's address
with --trusted-proxy, have it set X-Forwarded-Proto and X-Forwarded-Host; the cookie is then Secure.
Pages: / (jobs), /jobs/JOB (live: approve, reject, pause, resume, cancel, retry; units), /jobs/JOB/units/KEY.
API: GET /api/jobs, /api/jobs/:id, /api/jobs/:id/units?status=&q=&sort=&cursor=, /api/jobs/:id/units/:unit,
/api/jobs/:id/units/:unit/diff, /api/jobs/:id/timeline, /api/jobs/:id/events (server-sent events),
/api/pipelines/:id; POST /api/jobs/:id/{approve,reject,pause,resume,cancel,retry}.`,
    )
    .action(action(serve));
}

interface DashboardFlags {
  port?: string;
  host: string;
  trustedProxy?: string;
  json?: boolean;
}

async function serve(opts: DashboardFlags): Promise<void> {
  const asked = opts.port === undefined ? null : Number(opts.port);
  if (asked !== null && (!Number.isInteger(asked) || asked < 0 || asked > 65535))
    throw new UsageError(`--port ${opts.port} is not a port`, 'give 1–65535, or 0 for any free one');
  const config = loadConfig();
  const session = await openSession(config, { autoStart: true, waitPolicy: SERVER_WAIT });
  const token = await dashboardToken(config.home);
  // Asked for nothing of its own (port, host, proxies): the stack's dashboard is the answer.
  const plain = asked === null && opts.host === '127.0.0.1' && opts.trustedProxy === undefined;
  const running = plain ? session.endpoints.dashboardUrl : null;
  if (running) {
    // The stack serves one already: a second would only take another port.
    await session.close();
    const url = `${running}/?token=${token}`;
    if (opts.json) printJson({ url, port: Number(new URL(running).port), token, running: true });
    else say(`dashboard: the stack serves it at ${url}  (--port serves another here)`);
    return;
  }
  const port = asked ?? (await freePort(8484));
  const trustedProxies =
    opts.trustedProxy
      ?.split(',')
      .map((a) => a.trim())
      .filter(Boolean) ?? config.trustedProxies;
  const dashboard = await serveDashboard(session, { host: opts.host, port, token, trustedProxies }).catch(
    async (err: NodeJS.ErrnoException) => {
      await session.close();
      throw new UsageError(
        `cannot listen on ${opts.host}:${port}: ${err.message}`,
        err.code === 'EADDRINUSE'
          ? 'another program has that port: choose another --port, or leave it out'
          : 'choose another --port',
      );
    },
  );
  if (opts.json) printJson({ url: dashboard.url, port: dashboard.port, token });
  else say(`dashboard: ${dashboard.url}  (Ctrl-C stops it)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dashboard.close();
  await session.close();
}
