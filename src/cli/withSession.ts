import { withSession as withConfigSession, type Session } from '../client/session.js';
import type { WaitPolicy } from '../client/workerWait.js';
import { loadConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { say } from './output.js';

/** A command's session on the running stack (or TEMPORAL_ADDRESS/DATABASE_URL), closed afterwards. */
export function withSession<T>(fn: (session: Session) => Promise<T>, waitPolicy?: WaitPolicy): Promise<T> {
  return withConfigSession(loadConfig(), fn, { autoStart: false, waitPolicy });
}

/** `--wait-seconds N` for a request a worker must answer: give up after N seconds (default: wait). */
export const WAIT_OPTION = [
  '--wait-seconds <n>',
  'give up after this many seconds if no worker answers (default: wait; after 3 s it says why it waits)',
] as const;

/** The wait policy of a command's flags: say once why it waits, give up when told. */
export function waitPolicyOf(opts: { waitSeconds?: string }): WaitPolicy {
  const seconds = opts.waitSeconds === undefined ? null : Number(opts.waitSeconds);
  if (seconds !== null && !(Number.isFinite(seconds) && seconds > 0)) {
    throw new UsageError(`--wait-seconds ${opts.waitSeconds} is not a number of seconds above 0`);
  }
  return { waitSeconds: seconds, onNoWorker: (message) => say(`waiting: ${message}`) };
}
