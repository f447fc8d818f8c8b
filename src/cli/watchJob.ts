/**
 * Following a job from the terminal: wait for a state while showing progress; Ctrl-C detaches
 * the view and leaves the job running.
 */
import { getStatus } from '../client/jobs.js';
import type { Session } from '../client/session.js';
import { budgetPaused, isTerminal } from '../domain/index.js';
import type { JobStatus } from '../domain/index.js';
import { say } from './output.js';
import { ProgressView } from './render/progress.js';

const POLL_MS = 1000;

/** Ctrl-C exits (130) after saying how to come back; the job is not touched. */
export function detachOnInterrupt(jobId: string, before: () => void = () => undefined): () => void {
  const onSigint = (): void => {
    before();
    say(`\ndetached: ${jobId} keeps running. Re-attach with: agentic-batch watch ${jobId}`);
    process.exit(130);
  };
  process.on('SIGINT', onSigint);
  return () => process.off('SIGINT', onSigint);
}

export async function waitForStatus(
  session: Session,
  jobId: string,
  done: (status: JobStatus) => boolean,
  onStatus: (status: JobStatus) => void = () => undefined,
  options: { fromDatabaseIfNeeded?: boolean; signal?: AbortSignal } = {},
): Promise<JobStatus> {
  for (;;) {
    options.signal?.throwIfAborted();
    const status = await getStatus(session, jobId, options);
    onStatus(status);
    if (done(status)) return status;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Progress until the job ends, or pauses on its budget (which needs a person to decide). */
export async function watchUntilSettled(session: Session, jobId: string, showProgress: boolean): Promise<JobStatus> {
  const view = showProgress ? new ProgressView() : null;
  const stopDetach = detachOnInterrupt(jobId, () => view?.stop());
  try {
    return await waitForStatus(
      session,
      jobId,
      (s) => isTerminal(s.state) || budgetPaused(s),
      (s) => view?.update(s),
    );
  } finally {
    view?.stop();
    stopDetach();
  }
}
