/**
 * An attempt that cannot go on says how it ended by throwing an `AttemptStop` with its result;
 * the attempt's boundary (`settle`) turns whatever was thrown into an `AttemptResult`, so no
 * outcome escapes as an unhandled error. What a worker that lost Postgres throws is a store
 * failure: retryable, never a process exit. (Measured on 2b7a411: a Postgres restart while
 * groups ran made every worker exit on an unhandled ECONNREFUSED.)
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { AGENT_ERROR_TYPES } from '../../src/domain/index.js';
import { failed, storeFailure, type AttemptResult } from './results.js';

export class AttemptStop extends Error {
  constructor(readonly result: AttemptResult) {
    super(`attempt ended: ${result.kind}`);
  }
}

/** Codes of a Postgres that is down, restarting or unreachable (node-postgres and the server's own). */
const STORE_DOWN = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|57P0[1-3]|08\d{3}|53300)$/;
const STORE_DOWN_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i;

export function isStoreError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    (typeof code === 'string' && STORE_DOWN.test(code)) || STORE_DOWN_MESSAGE.test(String((err as Error)?.message))
  );
}

/** What was thrown inside an attempt, as its result. `interruptedBy`: what cut it off, if not the job. */
export function resultOf(err: unknown, interruptedBy: () => string | null): AttemptResult {
  if (err instanceof AttemptStop) return err.result;
  if (err instanceof CancelledFailure) {
    const by = interruptedBy();
    return by ? { kind: 'interrupted', message: `the attempt was interrupted (${by})` } : { kind: 'cancelled' };
  }
  if (err instanceof ApplicationFailure) return failed(err.type ?? 'Error', err.message, !err.nonRetryable);
  if (isStoreError(err)) return storeFailure(err);
  // A bug or a failure nobody foresaw: the attempt fails, retryably; the worker goes on.
  return failed(
    AGENT_ERROR_TYPES.failed,
    `the worker failed the attempt: ${(err as Error)?.message ?? String(err)}`,
    true,
  );
}
