/**
 * The embedded stack in one process: Postgres (unless DATABASE_URL), the Temporal dev server
 * (unless TEMPORAL_ADDRESS) and a worker. `agentic-batch up` runs it in the foreground;
 * `up -d` runs it detached. SIGINT/SIGTERM stop it cleanly: the worker drains (running agents
 * are cancelled after a grace period and retried on the next start), then the servers stop.
 */
import type { Config } from '../config.js';
import { createWorker } from '../worker/createWorker.js';
import type { MetricsEndpoint } from '../worker/metrics.js';
import { currentBuildId } from './buildId.js';
import { freePort } from './ports.js';
import { startEmbeddedPostgres, type PostgresServer } from './postgresServer.js';
import { commandLine, isAlive, stopProcess } from './processes.js';
import { acquireStackLock, ensureHome, readStackFile, removeStack, stackPaths, writeStack } from './stackFile.js';
import { startEmbeddedTemporal } from './temporalCli.js';
import type { DevServer } from './temporalServer.js';

export interface SupervisorOptions {
  maxConcurrentAgents: number;
  /** Serve the worker's metrics (Prometheus) here. */
  metrics?: MetricsEndpoint | null;
  log: (line: string) => void;
  /** Once the servers and the worker are up: start what serves people (the dashboard). */
  onReady?: (endpoints: { temporalAddress: string; databaseUrl: string; uiUrl: string | null }) => Promise<{
    dashboardUrl: string | null;
    close(): Promise<void>;
  }>;
}

export async function runStack(config: Config, options: SupervisorOptions): Promise<void> {
  const { log } = options;
  await ensureHome(config.home);
  const lock = await acquireStackLock(config.home);
  await stopLeftovers(config.home);

  const paths = stackPaths(config.home);
  const cleanups: (() => Promise<void>)[] = [() => lock.release()];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => log(`stop: ${String(err)}`));
    cleanups.length = 0;
  };

  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const pg: PostgresServer = await startEmbeddedPostgres({ home: config.home, port: await freePort(55432) });
      cleanups.push(() => pg.stop());
      databaseUrl = pg.url;
      log('postgres: embedded, ready');
    }

    let temporalAddress = config.temporalAddress;
    let devServer: DevServer | null = null;
    if (!temporalAddress) {
      const server = {
        dbFile: paths.temporalDb,
        port: await freePort(7233),
        uiPort: await freePort(8233),
        logFile: paths.temporalLog,
      };
      devServer = await startEmbeddedTemporal(
        { explicit: config.temporalCliPath, download: !config.noDownload },
        server,
        log,
      );
      cleanups.push(() => devServer!.stop());
      temporalAddress = devServer.address;
      log(`temporal: dev server on ${temporalAddress}, Web UI ${devServer.uiUrl}`);
    }

    const { worker, close } = await createWorker(config, { temporalAddress, databaseUrl }, options);
    cleanups.push(close);

    const stopSignal = new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    const workerRun = worker.run();
    const uiUrl = devServer?.uiUrl ?? null;
    const served = await options.onReady?.({ temporalAddress, databaseUrl, uiUrl });
    if (served) cleanups.push(() => served.close());
    await writeStack(config.home, {
      supervisorPid: process.pid,
      temporalAddress,
      temporalPid: devServer?.pid ?? null,
      uiUrl,
      dashboardUrl: served?.dashboardUrl ?? null,
      databaseUrl,
      taskQueue: config.taskQueue,
      startedAt: new Date().toISOString(),
      build: currentBuildId(),
    });
    cleanups.unshift(() => removeStack(config.home));
    log(`worker: polling task queue ${config.taskQueue}; stack ready`);

    const reason = await Promise.race([stopSignal, workerRun.then(() => 'worker stopped')]);
    log(`stopping (${reason})`);
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
  } finally {
    await stopAll();
    log('stopped');
  }
}

/** A stack killed with SIGKILL leaves its Temporal server running: stop it before starting anew. */
async function stopLeftovers(home: string): Promise<void> {
  const stale = await readStackFile(home);
  if (!stale) return;
  const pid = stale.temporalPid;
  if (pid && isAlive(pid) && commandLine(pid).includes('temporal')) await stopProcess(pid);
  await removeStack(home);
}
