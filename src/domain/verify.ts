/** A unit's verify step: what one run of its check is, and how its ending reads. */

/** One run of a unit's check, as `show` and the results give it. */
export interface VerifyRun {
  /** null: it could not run, or outlived its timeout. */
  exitCode: number | null;
  durationMs: number;
  /** The end of what it printed (stdout and stderr together). */
  outputTail: string;
  at: string;
}

/** `passed`, `failed (exit 1)` or `did not finish`. */
export function checkEnding(run: Pick<VerifyRun, 'exitCode'>): string {
  if (run.exitCode === 0) return 'passed';
  return run.exitCode === null ? 'did not finish' : `failed (exit ${run.exitCode})`;
}
