/** Serving the dashboard: loopback unless told otherwise, on the port asked for (0: any free one). */
import { serve } from '@hono/node-server';
import type { Session } from '../client/session.js';
import { dashboardApp, type DashboardOptions } from './app.js';

export interface Dashboard {
  /** With the token: the address to open once. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export function serveDashboard(
  session: Session,
  options: { host: string; port: number; token: string } & DashboardOptions,
): Promise<Dashboard> {
  const app = dashboardApp(session, options.token, options);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, (info) => {
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${info.port}/?token=${options.token}`,
        port: info.port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
    server.once('error', reject);
  });
}
