/**
 * A worker serving both workflow types and every activity on one task queue. Run as many as you
 * like, on as many machines: they share the queue.
 */
import { existsSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { startScriptedApi } from '../rehearsal/scriptedApi.js';
import type { Db } from '../store/db.js';
import { UserError } from '../errors.js';
import { WORKFLOW_BUNDLE_PATH } from './paths.js';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  claudeBin: string;
  /** Agent processes this worker runs at once, across all jobs. */
  maxConcurrentAgents: number;
}

export async function createWorker(options: WorkerOptions): Promise<{ worker: Worker; close(): Promise<void> }> {
  if (!existsSync(WORKFLOW_BUNDLE_PATH)) {
    throw new UserError(`the workflow bundle ${WORKFLOW_BUNDLE_PATH} is missing`, 'run `npm run build` first');
  }
  let rehearsal: ReturnType<typeof startScriptedApi> | null = null;
  const rehearsalApiUrl = async (): Promise<string> => {
    rehearsal ??= startScriptedApi();
    return (await rehearsal).url;
  };

  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
    activities: createActivities({ db: options.db, defaultAgentBin: options.claudeBin, rehearsalApiUrl }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentAgents,
    // Cancellation reaches an activity only through a heartbeat round trip: keep it quick.
    defaultHeartbeatThrottleInterval: '1s',
    maxHeartbeatThrottleInterval: '2s',
    // On shutdown running agents get this long, then are killed and retried by another worker.
    shutdownGraceTime: '5s',
  });
  return {
    worker,
    async close() {
      if (rehearsal) await (await rehearsal).close();
    },
  };
}
