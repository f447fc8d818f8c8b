/**
 * Requests a worker must answer (an update: approve, reject, pause, resume; the end of a cancel):
 * with no worker polling the job's task queue they wait, silently, forever. This says so after a
 * few seconds, and gives up after the session's `waitSeconds`, saying why.
 */
import proto from '@temporalio/proto';
import { UserError } from '../errors.js';
import type { Session } from './session.js';

export interface WaitPolicy {
  /** Give up after this long; null: as long as it takes. */
  waitSeconds: number | null;
  /** Told once, when the request has waited NOTICE_MS and no worker polls the queue. */
  onNoWorker?: (message: string) => void;
}

/** The dashboard and MCP: a request that waits this long for a worker gets an answer saying why. */
export const SERVER_WAIT: WaitPolicy = { waitSeconds: 15 };

/** Long enough for a busy worker's answer, short enough that a person is not left wondering. */
export const NOTICE_MS = 3000;
/** A live worker long-polls without pause (a poll lasts up to ~70 s): one seen within this is live. */
const POLLER_FRESH_MS = 90_000;

/** The request that could not proceed: no worker answered in time. */
export class NoWorkerError extends UserError {
  constructor(message: string, hint: string) {
    super(message, hint);
    this.name = 'NoWorkerError';
  }
}

export async function answeredByWorker<T>(
  session: Session,
  what: string,
  request: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { waitPolicy: policy, config } = session;
  const controller = new AbortController();
  let answered = false;
  const notice = setTimeout(() => {
    void workerPolling(session).then((polling) => {
      if (polling === false && !answered) policy.onNoWorker?.(noWorkerMessage(config.taskQueue));
    });
  }, NOTICE_MS);
  let deadline: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    if (policy.waitSeconds === null) return;
    // The reason first, then the abort: the request's own rejection must not win the race.
    deadline = setTimeout(() => {
      void giveUp(session, what, policy.waitSeconds!)
        .then(reject, reject)
        .finally(() => controller.abort());
    }, policy.waitSeconds * 1000);
  });
  try {
    return await Promise.race([
      session.client.withAbortSignal(controller.signal, () => request(controller.signal)),
      gaveUp,
    ]);
  } finally {
    answered = true;
    clearTimeout(notice);
    clearTimeout(deadline);
  }
}

export function noWorkerMessage(taskQueue: string): string {
  return `no worker is polling task queue ${taskQueue}; the request waits for one — start one with \`agentic-batch worker\` or \`agentic-batch up -d\``;
}

async function giveUp(session: Session, what: string, seconds: number): Promise<NoWorkerError> {
  const queue = session.config.taskQueue;
  const polling = await workerPolling(session);
  const why =
    polling === false
      ? `no worker is polling task queue ${queue}`
      : `the workers of task queue ${queue} did not answer`;
  return new NoWorkerError(
    `${what} was not answered within ${seconds}s: ${why}`,
    'start a worker (`agentic-batch worker`, or `agentic-batch up -d`) and run it again; a request a worker takes later may still apply, so check with `agentic-batch status`',
  );
}

/** Whether a worker polls the queue for workflow tasks now; null when the server cannot say. */
export async function workerPolling(session: Session): Promise<boolean | null> {
  try {
    const { pollers } = await session.client.connection.withDeadline(Date.now() + 3000, () =>
      session.client.workflowService.describeTaskQueue({
        namespace: session.config.namespace,
        taskQueue: { name: session.config.taskQueue },
        taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      }),
    );
    const now = Date.now();
    return (pollers ?? []).some((p) => now - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < POLLER_FRESH_MS);
  } catch {
    return null;
  }
}
