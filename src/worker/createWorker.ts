/**
 * A worker serving the job workflow and every activity on one task queue. Run as many as you
 * like, on as many machines: they share the queue.
 */
import { existsSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { startScriptedApi } from '../rehearsal/scriptedApi.js';
import { openDatabase } from '../store/db.js';
import { cannotReach, ensureSearchAttribute } from '../temporal/connect.js';
import { connectionOptionsFor } from '../temporal/settings.js';
import { installMetricsRuntime, type MetricsEndpoint } from './metrics.js';
import { WORKFLOW_BUNDLE_PATH } from './paths.js';

export interface WorkerEndpoints {
  temporalAddress: string;
  databaseUrl: string;
}

/** Connect to Temporal and Postgres and build the worker; `close` releases what it opened. */
export async function createWorker(
  config: Config,
  endpoints: WorkerEndpoints,
  options: { maxConcurrentAgents: number; metrics?: MetricsEndpoint | null },
): Promise<{ worker: Worker; close(): Promise<void> }> {
  if (!existsSync(WORKFLOW_BUNDLE_PATH)) {
    throw new UserError(`the workflow bundle ${WORKFLOW_BUNDLE_PATH} is missing`, 'run `npm run build` first');
  }
  if (options.metrics) installMetricsRuntime(options.metrics);
  const db = await openDatabase(endpoints.databaseUrl);
  const connectionOptions = connectionOptionsFor(config.temporal, endpoints.temporalAddress);
  const connection = await NativeConnection.connect(connectionOptions).catch(async (err: unknown) => {
    await db.end();
    throw await cannotReach(connectionOptions, config.namespace, err);
  });
  // A server we did not start may lack the job-status attribute every job sets.
  if (config.temporalAddress === endpoints.temporalAddress) {
    await ensureSearchAttribute(connection, config.namespace).catch(async (err: unknown) => {
      await Promise.allSettled([connection.close(), db.end()]);
      throw err;
    });
  }
  let rehearsal: ReturnType<typeof startScriptedApi> | null = null;
  const rehearsalApiUrl = async (): Promise<string> => {
    rehearsal ??= startScriptedApi();
    return (await rehearsal).url;
  };

  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
    activities: createActivities({ db, rehearsalApiUrl, memory: config.memory }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentAgents,
    // Cancellation reaches an activity only through a heartbeat round trip: once an attempt
    // heartbeats (after its first seconds), keep that quick.
    defaultHeartbeatThrottleInterval: '1s',
    maxHeartbeatThrottleInterval: '2s',
    // On shutdown running agents get this long, then are killed and retried by another worker.
    shutdownGraceTime: '5s',
  });
  return {
    worker,
    async close() {
      if (rehearsal) await (await rehearsal).close();
      await connection.close();
      await db.end();
    },
  };
}
