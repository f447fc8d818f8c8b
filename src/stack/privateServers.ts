/**
 * A throwaway Temporal dev server and Postgres in a fresh temporary directory, on free ports,
 * headless: what the tests and the benchmark run against, apart from any stack of the user's.
 */
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { startEmbeddedPostgres } from './postgresServer.js';
import { findTemporalCli, startTemporalDevServer } from './temporalServer.js';

export interface PrivateServers {
  home: string;
  temporalAddress: string;
  temporalPid: number | null;
  databaseUrl: string;
  postgresPid: number | null;
  stop(): Promise<void>;
}

export async function startPrivateServers(options: {
  prefix: string;
  dynamicConfig?: Record<string, string | number>;
}): Promise<PrivateServers> {
  const cli = await findTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null);
  if (!cli) throw new Error('the Temporal CLI is needed: run scripts/install-temporal-cli.sh');
  const home = await mkdtemp(path.join(os.tmpdir(), options.prefix));
  // Traversable, so a root run keeps its Postgres cluster inside (not under /var/lib).
  await chmod(home, 0o711);
  const [pg, temporal] = await Promise.all([
    startEmbeddedPostgres({ home, port: await freePort() }),
    startTemporalDevServer({
      cliPath: cli,
      dbFile: path.join(home, 'temporal.db'),
      port: await freePort(),
      uiPort: null,
      logFile: path.join(home, 'temporal.log'),
      dynamicConfig: options.dynamicConfig,
    }),
  ]);
  return {
    home,
    temporalAddress: temporal.address,
    temporalPid: temporal.pid,
    databaseUrl: pg.url,
    postgresPid: pg.pid,
    async stop() {
      await Promise.allSettled([temporal.stop(), pg.stop()]);
    },
  };
}
