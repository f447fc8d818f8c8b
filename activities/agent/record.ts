/**
 * An agent run's outcome recorded, and what follows a successful one: the unit's check, and
 * while it fails and repairs are left, the agent continuing its session with the check's output.
 */
import { attemptEnv } from '../../src/agents/agentEnv.js';
import { AGENT_ERROR_TYPES } from '../../src/domain/index.js';
import { judgeAttempt } from '../../src/store/attempts.js';
import type { Db } from '../../src/store/db.js';
import { recordVerifyRun } from '../../src/store/units.js';
import { describeCheck, repairPrompt, runCheck } from '../verify.js';
import type { AgentRun } from './agentRun.js';
import type { AttemptPlan } from './plan.js';
import { failed, type AttemptResult } from './results.js';
import { AttemptStop } from './stop.js';

/**
 * An agent run that succeeded, recorded before its check passed or its worktree was committed:
 * never taken for a success by a retry.
 */
const PENDING = {
  verify: { type: 'VerifyPending', message: 'the check has not run yet' },
  commit: { type: 'CommitPending', message: 'its changes are not committed yet' },
};

export interface RecordContext {
  db: Db;
  input: { jobId: string; unitId: number };
  fence: number;
  plan: AttemptPlan;
  signal: AbortSignal;
  attempt: number;
  interruptedBy: () => string | null;
  heartbeat: (details: Record<string, unknown>) => void;
}

/** A successful run, recorded: what its execution spent, and its attempt's row. */
export interface Recorded {
  costUsd: number;
  attemptId: number;
}

/**
 * Record a run's outcome. A success waiting for its check or commit is recorded as pending, so a
 * retry never takes it for a success, and its unit stays running.
 */
export async function recordRun(c: RecordContext, run: AgentRun): Promise<Recorded | AttemptResult> {
  const { report, outcome, failure, cancelled, throttle, recorder, startedAt } = run;
  const by = c.interruptedBy();
  const succeeded = !cancelled && !failure;
  const pending = !succeeded ? null : c.plan.spec.verify ? PENDING.verify : c.plan.worktree ? PENDING.commit : null;
  const ended = !cancelled
    ? (failure ?? pending)
    : by
      ? { type: AGENT_ERROR_TYPES.interrupted, message: `interrupted: ${by}` }
      : { type: 'Cancelled', message: 'cancelled' };
  const recorded = await recorder.finish(
    {
      ...report,
      durationMs: report.durationMs ?? outcome.durationMs,
      exitCode: outcome.exitCode,
      errorType: ended?.type ?? null,
      error: ended?.message ?? null,
      stderrTail: outcome.stderrTail || null,
    },
    succeeded && !pending ? { result: report.result, sessionId: report.sessionId, output: report.output } : null,
  );
  if (cancelled)
    return by ? { kind: 'interrupted', message: `the attempt was interrupted (${by})` } : { kind: 'cancelled' };
  if (throttle && failure) {
    const retryAt = failure.retryAt ?? (failure.nextRetryDelayMs ? Date.now() + failure.nextRetryDelayMs : null);
    return { kind: 'throttled', throttle, error: `${failure.type}: ${failure.message}`, retryAt, startedAt };
  }
  if (failure) return failed(failure.type, failure.message, failure.retryable, failure.nextRetryDelayMs);
  return recorded;
}

/**
 * The unit's check, after a successful run; while it fails and repairs are left, `runAgain`
 * continues the agent's session with the check's output, and the check runs again. Returns the
 * run that passed and its attempt, or how a repair ended otherwise (refused by the API…).
 */
export async function verifyAndRepair(
  c: RecordContext,
  first: AgentRun,
  firstRecorded: Recorded,
  runAgain: (prompt: string, sessionId: string | null) => Promise<AgentRun>,
): Promise<{ passed: AgentRun; attemptId: number } | AttemptResult> {
  const verify = c.plan.spec.verify!;
  const command = verify.command.map(c.plan.render);
  const shown = command.join(' ');
  let run = first;
  let attemptId = firstRecorded.attemptId;
  for (let repairs = 0; ; repairs++) {
    const check = await runCheck(command, {
      cwd: c.plan.cwd,
      env: attemptEnv(c.plan.agent, c.plan.jobSecrets, process.env),
      timeoutMs: verify.timeoutSeconds * 1000,
      signal: c.signal,
      heartbeat: () => c.heartbeat({ verifying: repairs + 1 }),
    }).catch((err: unknown) => {
      // As for an agent run: a worker going down is an interruption, to run again elsewhere.
      const by = c.interruptedBy();
      throw by ? new AttemptStop({ kind: 'interrupted', message: `the check was interrupted (${by})` }) : err;
    });
    await recordVerifyRun(c.db, c.input.jobId, c.input.unitId, c.fence, check);
    if (check.exitCode === 0) return { passed: run, attemptId };
    const why = `${describeCheck(shown, check)}: ${check.outputTail.trim().split('\n').slice(-3).join(' | ')}`;
    await judgeAttempt(c.db, attemptId, { errorType: AGENT_ERROR_TYPES.verifyFailed, error: why });
    if (repairs >= verify.attempts) {
      const tried = `${repairs} repair${repairs === 1 ? '' : 's'} did not fix it`;
      return failed(AGENT_ERROR_TYPES.verifyFailed, `${why} (${tried})`, false);
    }
    run = await runAgain(repairPrompt(shown, check), run.report.sessionId);
    const done = await recordRun(c, run);
    if ('kind' in done) return done;
    attemptId = done.attemptId;
  }
}
