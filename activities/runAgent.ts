/**
 * The agent activity: one attempt of one unit, for any agent adapter. Renders the prompt, starts
 * the adapter's program, appends every conversation event to Postgres as it arrives, heartbeats
 * on events and on a timer (cancellation only reaches an activity through heartbeats), lets the
 * adapter judge the outcome and, on success, records it. Only a small summary goes back to the
 * workflow; results and conversations stay in Postgres.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { agentFailure, agentKind, runAgentProcess } from '../src/agents/index.js';
import {
  AGENT_ERROR_TYPES,
  throttleKind,
  UNIT_ADMITTED_SIGNAL,
  type AttemptReport,
  type GroupedUnitOutcome,
  type Phase,
  type UnitChanges,
  type UnitFinished,
  type UnitOutcome,
  type UnitPayload,
  type UnitRef,
} from '../src/domain/index.js';
import {
  BranchTakenError,
  closeUnitWorktree,
  commitSubject,
  commitUnitWorktree,
  defaultBranchPrefix,
  openUnitWorktree,
  unitBranch,
  unitWorktreeDir,
  type UnitWorktree,
} from '../src/git/worktree.js';
import { sourceKind } from '../src/sources/index.js';
import type { ResolvedIsolation } from '../src/spec/isolation.js';
import { outputProblem, type OutputSchema } from '../src/spec/outputSchema.js';
import type { JobSpec } from '../src/spec/schema.js';
import { renderTemplate, TemplateError, type TemplateUnit } from '../src/spec/template.js';
import { judgeAttempt, previousSessionId, succeededAttempt } from '../src/store/attempts.js';
import { getJob, getJobState, getTemplate } from '../src/store/jobs.js';
import { completeUnit, getUnit, getUnits, recordVerifyRun, type UnitRow } from '../src/store/units.js';
import { recordAttempt } from './attemptRecorder.js';
import type { ActivityDeps } from './index.js';
import { describeCheck, repairPrompt, runCheck } from './verify.js';

export interface RunAgentInput {
  jobId: string;
  unitId: number;
  key: string;
  templateVersion: number;
  phase: Phase;
  /** This execution of the unit (all its attempts): its cost is summed by it. */
  runKey: string;
  /** Attempts this execution already made elsewhere (in a group): numbering goes on from them. */
  priorAttempts?: number;
  /** Wait this long before starting: the job's pace, finer than its timers. */
  startDelayMs?: number;
  /** The job starts slowly: tell it (a signal) as soon as the API has answered this attempt. */
  reportAdmission?: boolean;
}

/** Short units, run one after another in one activity: a Temporal round trip for several units. */
export interface RunAgentsInput {
  jobId: string;
  templateVersion: number;
  phase: Phase;
  units: (UnitRef & { runKey: string })[];
  /** Each unit's own limit (the activity's covers the whole group). */
  unitTimeoutMs: number;
}

/** Timer heartbeats, once they have started. */
const HEARTBEAT_EVERY_MS = 1000;
/** How often a group of short units reads whether its job was paused (a query each time). */
const STATE_CHECK_EVERY_MS = 1000;
/**
 * No heartbeats during an attempt's first seconds: most short units finish before anyone could
 * need one, and every heartbeat is a server write. Capped to a third of the heartbeat timeout.
 */
const HEARTBEAT_AFTER_MS = 5000;
/**
 * An attempt's row is written once it has run this long (before, only when it ends, in one
 * statement): a conversation worth following live lasts longer than this.
 */
const RECORD_AFTER_MS = 5000;
/**
 * An agent run that succeeded, recorded before its check passed or its worktree was committed:
 * never taken for a success by a retry.
 */
const PENDING = {
  verify: { type: 'VerifyPending', message: 'the check has not run yet' },
  commit: { type: 'CommitPending', message: 'its changes are not committed yet' },
};

export function createAgentActivities(deps: ActivityDeps) {
  const { db } = deps;
  // A job's spec and a template version never change: read each once per worker.
  const specs = new BoundedCache<JobSpec>(200);
  const templates = new BoundedCache<string>(200);

  const jobSpec = async (jobId: string): Promise<JobSpec | null> =>
    specs.get(jobId) ?? specs.set(jobId, ((await getJob(db, jobId))?.spec as JobSpec | undefined) ?? null);
  const template = async (jobId: string, version: number): Promise<string | null> =>
    templates.get(`${jobId}@${version}`) ?? templates.set(`${jobId}@${version}`, await getTemplate(db, jobId, version));

  const succeeded = (input: RunAgentInput, costUsd: number): UnitFinished => ({
    unitId: input.unitId,
    key: input.key,
    phase: input.phase,
    status: 'succeeded',
    costUsd,
    error: null,
  });

  /**
   * One attempt of one unit. Throws as the activity should fail: CancelledFailure when the job
   * cancelled it, ApplicationFailure otherwise; an attempt the API refused (rate limit, overload,
   * usage limit) is reported instead, for the job's governor. `unitTimeoutMs` bounds it in a group.
   */
  async function runUnit(
    input: RunAgentInput,
    attempt: number,
    options: { unitTimeoutMs?: number; unit?: UnitRow | null; activityAttempts?: number } = {},
  ): Promise<{ settled: Promise<UnitOutcome>; throttled: boolean }> {
    const { unitTimeoutMs } = options;
    const ctx = Context.current();
    const { runKey } = input;

    // A retry after a success whose completion was lost must not run the agent again.
    const done = attempt > 1 ? await succeededAttempt(db, runKey, input.unitId) : null;
    if (done) {
      const { runCostUsd } = await completeUnit(db, input.jobId, input.unitId, {
        status: 'succeeded',
        runKey,
        result: done.result,
        error: null,
        sessionId: done.sessionId,
        output: done.output,
        changes: done.changes,
      });
      return { settled: Promise.resolve(succeeded(input, runCostUsd)), throttled: false };
    }

    const [spec, unit, text] = await Promise.all([
      jobSpec(input.jobId),
      options.unit !== undefined ? options.unit : getUnit(db, input.jobId, input.unitId),
      template(input.jobId, input.templateVersion),
    ]);
    if (!spec || !unit || text === null) {
      throw ApplicationFailure.nonRetryable(
        `unit ${input.unitId} of job ${input.jobId} is not in the database`,
        'JobMissing',
      );
    }
    const agent = spec.agent;
    const kind = agentKind(agent);

    const source = sourceKind(spec.source);
    // Resolved when the job was created; a job stored before agents had their own cwd used the source's.
    const jobCwd = agent.cwd ?? source.workingDirectory?.(spec.source) ?? process.cwd();
    const worktree = spec.isolation ? unitWorktree(spec.isolation, input.jobId, unit) : null;
    // In a worktree, the unit's paths into the repository lead into its worktree.
    const inWorkspace = (p: string): string => (worktree ? pathInWorktree(worktree, p) : p);
    const templateUnit: TemplateUnit = {
      key: unit.key,
      index: unit.unitId,
      payload: worktree ? mapPaths(unit.payload, inWorkspace) : unit.payload,
    };
    const render = (t: string): string => {
      try {
        return renderTemplate(t, templateUnit);
      } catch (err) {
        if (err instanceof TemplateError)
          throw ApplicationFailure.nonRetryable(err.message, AGENT_ERROR_TYPES.badTemplate);
        throw err;
      }
    };

    const prompt = render(text);
    // A retry in a worktree starts afresh (its worktree is reset): the old session's edits are gone.
    const resumeSessionId =
      kind.resumesOnRetry?.(agent) && attempt > 1 && !worktree
        ? await previousSessionId(db, runKey, input.unitId)
        : null;
    const rehearsalUrl = kind.rehearses?.(agent) ? await deps.rehearsalApiUrl() : null;
    const unitDirectory = source.unitDirectory?.(templateUnit.payload) ?? null;
    const cwd = inWorkspace(jobCwd);
    const outputSchema = spec.output?.schema ?? null;
    const timeout = unitTimeoutMs === undefined ? null : AbortSignal.timeout(unitTimeoutMs);
    const signal = timeout ? AbortSignal.any([ctx.cancellationSignal, timeout]) : ctx.cancellationSignal;
    const workflowId = ctx.info.workflowExecution?.workflowId;
    /** What cut the attempt off when it was not the job's cancellation (a worker going down…), if anything. */
    const interruptedBy = (): string | null => {
      // The SDK aborts with the reason: CANCELLED (the job's request), WORKER_SHUTDOWN, TIMED_OUT…
      const reason: unknown = ctx.cancellationSignal.reason;
      return reason instanceof CancelledFailure && reason.message !== 'CANCELLED' ? reason.message : null;
    };
    /** A retryable failure, so the unit goes on elsewhere. */
    const interrupted = (what: string, by: string) =>
      ApplicationFailure.retryable(`${what} was interrupted (${by})`, AGENT_ERROR_TYPES.interrupted);

    /** One run of the agent: on the unit's prompt, or on a repair prompt continuing its session. */
    const runOnce = async (runPrompt: string, runResumeSessionId: string | null) => {
      const { invocation, parser } = kind.start(
        agent,
        { prompt: runPrompt, render, unitDirectory, resumeSessionId: runResumeSessionId, rehearsalUrl, outputSchema },
        process.env,
      );
      const startedAt = Date.now();
      const recorder = recordAttempt(db, { ...input, attempt, prompt: runPrompt, startedAt }, RECORD_AFTER_MS);
      const heartbeatAfter = Date.now() + Math.min(HEARTBEAT_AFTER_MS, (ctx.info.heartbeatTimeoutMs ?? 30_000) / 3);
      const heartbeat = (): void => {
        if (Date.now() >= heartbeatAfter)
          ctx.heartbeat({ attempt, events: recorder.count, sessionId: parser.sessionId() });
      };
      const timer = setInterval(heartbeat, HEARTBEAT_EVERY_MS);
      let admissionReported = !input.reportAdmission || !parser.admitted || !workflowId;
      const reportAdmission = (): void => {
        if (admissionReported || !parser.admitted!()) return;
        admissionReported = true;
        // Best effort: a lost signal only slows the start, and the unit's success admits it anyway.
        ctx.client.workflow
          .getHandle(workflowId!)
          .signal(UNIT_ADMITTED_SIGNAL, { unitId: input.unitId })
          .catch(() => undefined);
      };

      let outcome;
      try {
        outcome = await runAgentProcess({
          ...invocation,
          cwd,
          signal,
          idleTimeoutMs: agent.idleTimeoutSeconds * 1000,
          onStdout: async (lines) => {
            await recorder.add(parser.stdout(lines));
            reportAdmission();
            heartbeat();
            return parser.finished();
          },
          onStderr: parser.stderr && ((lines) => void recorder.add(parser.stderr!(lines)).catch(() => undefined)),
        });
      } finally {
        clearInterval(timer);
      }

      const verdict = parser.verdict({ ...outcome, bin: invocation.bin, idleTimeoutSeconds: agent.idleTimeoutSeconds });
      const timedOut = outcome.killedBy === 'cancel' && !ctx.cancellationSignal.aborted;
      const cancelled = outcome.killedBy === 'cancel' && !timedOut;
      const { failure: verdictFailure, ...report } = verdict;
      const checked =
        outputSchema && !verdictFailure && !timedOut && !cancelled ? checkOutput(outputSchema, report) : null;
      if (checked) report.output = checked.output;
      const failure = timedOut
        ? agentFailure(AGENT_ERROR_TYPES.timedOut, `the unit ran longer than its ${unitTimeoutMs! / 1000}s timeout`)
        : (verdictFailure ??
          (checked?.problem ? agentFailure(AGENT_ERROR_TYPES.outputInvalid, checked.problem) : null));
      const throttle = !cancelled && failure ? throttleKind(failure.type) : null;
      return { report, outcome, failure, cancelled, throttle, recorder, startedAt };
    };
    type AgentRun = Awaited<ReturnType<typeof runOnce>>;

    /**
     * Record a run's outcome. Throws as the activity should fail: CancelledFailure when the job
     * cancelled it, ApplicationFailure otherwise; returns the outcome of a run the API refused, or
     * what was spent and the attempt's row. A success waiting for its check or commit is recorded
     * as pending, so a retry never takes it for a success, and its unit stays running.
     */
    const finishRun = async (
      run: AgentRun,
    ): Promise<{ throttled: UnitOutcome } | { costUsd: number; attemptId: number }> => {
      const { report, outcome, failure, cancelled, throttle, recorder, startedAt } = run;
      const reason: unknown = ctx.cancellationSignal.reason;
      const by = interruptedBy();
      const succeededRun = !cancelled && !failure;
      const pending = !succeededRun ? null : spec.verify ? PENDING.verify : worktree ? PENDING.commit : null;
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
        succeededRun && !pending ? { result: report.result, sessionId: report.sessionId, output: report.output } : null,
      );

      if (cancelled) {
        // Not the job's cancellation (a worker going down, a timeout): it still counts as an
        // attempt: Temporal has no uncounted kind.
        if (by) throw interrupted('the attempt', by);
        throw reason instanceof CancelledFailure ? reason : new CancelledFailure('cancelled');
      }
      if (throttle && failure) {
        const retryAt = failure.retryAt ?? (failure.nextRetryDelayMs ? Date.now() + failure.nextRetryDelayMs : null);
        return {
          throttled: {
            unitId: input.unitId,
            key: input.key,
            phase: input.phase,
            status: 'throttled',
            throttle,
            error: `${failure.type}: ${failure.message}`,
            retryAt,
            startedAt,
            attempts: options.activityAttempts ?? 1,
          },
        };
      }
      if (failure) {
        throw ApplicationFailure.create({
          type: failure.type,
          message: failure.message,
          nonRetryable: !failure.retryable,
          nextRetryDelay: failure.nextRetryDelayMs,
        });
      }
      return recorded;
    };

    /**
     * The unit's check, after a successful run; while it fails and repairs are left, the agent
     * continues its session with the check's output, and the check runs again. Returns the run
     * that passed and its attempt, or the outcome of a repair the API refused.
     */
    const verifyAndRepair = async (
      first: AgentRun,
      firstAttemptId: number,
    ): Promise<{ passed: AgentRun; attemptId: number } | { throttled: UnitOutcome }> => {
      const verify = spec.verify!;
      const command = verify.command.map(render);
      const shown = command.join(' ');
      let run = first;
      let attemptId = firstAttemptId;
      for (let repairs = 0; ; repairs++) {
        const check = await runCheck(command, {
          cwd,
          timeoutMs: verify.timeoutSeconds * 1000,
          signal,
          heartbeat: () => ctx.heartbeat({ attempt, verifying: repairs + 1 }),
        }).catch((err: unknown) => {
          // As for an agent run: a worker going down is an interruption, to run again elsewhere.
          const by = interruptedBy();
          throw by ? interrupted('the check', by) : err;
        });
        await recordVerifyRun(db, input.jobId, input.unitId, check);
        if (check.exitCode === 0) return { passed: run, attemptId };
        const why = `${describeCheck(shown, check)}: ${check.outputTail.trim().split('\n').slice(-3).join(' | ')}`;
        await judgeAttempt(db, attemptId, { errorType: AGENT_ERROR_TYPES.verifyFailed, error: why });
        if (repairs >= verify.attempts) {
          throw ApplicationFailure.nonRetryable(
            `${why} (${repairs} repair${repairs === 1 ? '' : 's'} did not fix it)`,
            AGENT_ERROR_TYPES.verifyFailed,
          );
        }
        run = await runOnce(repairPrompt(shown, check), run.report.sessionId);
        const done = await finishRun(run);
        if ('throttled' in done) return done;
        attemptId = done.attemptId;
      }
    };

    /**
     * A pending success is one now (its check passed): the worktree's changes are committed on
     * the unit's branch and the worktree removed before the attempt is judged and the unit
     * settled, so a crash in between runs the unit again from its base.
     */
    const succeedPending = async (run: AgentRun, attemptId: number): Promise<UnitOutcome> => {
      const changes = worktree ? await commitWorktree(worktree, commitSubject(input.jobId, unit.key)) : null;
      await judgeAttempt(db, attemptId, { errorType: null, error: null, changes });
      const { report } = run;
      const { runCostUsd } = await completeUnit(db, input.jobId, input.unitId, {
        status: 'succeeded',
        runKey,
        result: report.result,
        error: null,
        sessionId: report.sessionId,
        output: report.output,
        changes,
      });
      return { ...succeeded(input, runCostUsd), durationMs: Math.round(Date.now() - first.startedAt) };
    };

    if (worktree) await openWorktree(worktree, input.jobId);
    let first: AgentRun;
    try {
      first = await runOnce(prompt, resumeSessionId);
    } catch (err) {
      if (worktree) await closeUnitWorktree(worktree, false);
      throw err;
    }
    // Recording the outcome is the rest: a group starts its next unit meanwhile.
    const settled = (async (): Promise<UnitOutcome> => {
      const done = await finishRun(first);
      if ('throttled' in done) return done.throttled;
      if (!spec.verify && !worktree)
        return { ...succeeded(input, done.costUsd), durationMs: Math.round(first.outcome.durationMs) };
      const checked = spec.verify ? await verifyAndRepair(first, done.attemptId) : { passed: first, ...done };
      if ('throttled' in checked) return checked.throttled;
      return succeedPending(checked.passed, checked.attemptId);
    })();
    // A unit that did not succeed leaves no worktree, nor a branch.
    const cleaned = worktree
      ? settled.then(
          async (outcome) => {
            if (outcome.status !== 'succeeded') await closeUnitWorktree(worktree, false);
            return outcome;
          },
          async (err: unknown) => {
            await closeUnitWorktree(worktree, false);
            throw err;
          },
        )
      : settled;
    return { settled: cleaned, throttled: first.throttle !== null };
  }

  async function runAgent(input: RunAgentInput): Promise<UnitOutcome> {
    const { attempt } = Context.current().info;
    if (input.startDelayMs && attempt === 1) await Context.current().sleep(input.startDelayMs);
    return (await runUnit(input, attempt + (input.priorAttempts ?? 0), { activityAttempts: attempt })).settled;
  }

  /**
   * Several short units, one after another, each settled, recorded and judged on its own. A
   * unit's failure is reported for the job to retry; cancellation by the job stops the group
   * (the rest are reported cancelled); an interruption (worker shutdown) fails the whole group
   * so it runs again elsewhere, where units that already succeeded are not run again. A unit the
   * API refused stops the group too: the rest go back to the job unstarted, for its governor.
   */
  async function runAgents(input: RunAgentsInput): Promise<GroupedUnitOutcome[]> {
    const ctx = Context.current();
    const jobCancelled = (): boolean =>
      ctx.cancellationSignal.reason instanceof CancelledFailure &&
      ctx.cancellationSignal.reason.message === 'CANCELLED';
    const found = await getUnits(
      db,
      input.jobId,
      input.units.map((u) => u.unitId),
    );
    const rows = new Map(found.map((row) => [row.unitId, row]));
    /** A unit's outcome from how its attempt ended; an interruption fails the whole group. */
    const outcomeOf = (unit: UnitRef, err: unknown): GroupedUnitOutcome => {
      if (err instanceof CancelledFailure)
        return { ...unit, phase: input.phase, status: 'cancelled', costUsd: 0, error: 'cancelled' };
      if (err instanceof ApplicationFailure && err.type !== AGENT_ERROR_TYPES.interrupted) {
        return {
          ...unit,
          phase: input.phase,
          status: 'attemptFailed',
          error: `${err.type}: ${err.message}`,
          retryable: !err.nonRetryable,
          // runUnit gives the delay in ms
          nextRetryDelayMs: typeof err.nextRetryDelay === 'number' ? err.nextRetryDelay : null,
        };
      }
      throw err;
    };

    // The group heartbeats on its own (a unit does only from its 5th second), a third of the
    // heartbeat timeout apart: it may outlast that timeout. Cancellation reaches it on a
    // heartbeat, so within that third (measured: a heartbeat a second cost 6% efficiency).
    const beat = setInterval(
      () => ctx.heartbeat({ group: input.units.length }),
      Math.max(HEARTBEAT_EVERY_MS, (ctx.info.heartbeatTimeoutMs ?? 30_000) / 3),
    );
    // A paused job starts no unit: before each next unit the group reads the job's state (at most
    // once a second), and once the job is PAUSED the rest go back to it unstarted, like a throttled
    // group's (cancellation reaches the group by its heartbeat).
    let stateReadAt = Date.now();
    const jobPaused = async (): Promise<boolean> => {
      if (Date.now() - stateReadAt < STATE_CHECK_EVERY_MS) return false;
      stateReadAt = Date.now();
      return (await getJobState(db, input.jobId)) === 'PAUSED';
    };
    // Each unit's record is written while the next one runs; all are written before the group ends.
    const outcomes: Promise<GroupedUnitOutcome>[] = [];
    try {
      /** The API refused a unit, or the job was paused: the rest go back to the job unstarted. */
      let stopped = false;
      for (const { runKey, ...unit } of input.units) {
        if (!stopped && input.phase === 'batch' && (await jobPaused())) stopped = true;
        if (stopped) {
          outcomes.push(Promise.resolve({ ...unit, phase: input.phase, status: 'notStarted' as const }));
          continue;
        }
        if (ctx.cancellationSignal.aborted) {
          if (!jobCancelled())
            throw ApplicationFailure.retryable('the group was interrupted', AGENT_ERROR_TYPES.interrupted);
          outcomes.push(Promise.resolve(outcomeOf(unit, new CancelledFailure('cancelled'))));
          continue;
        }
        try {
          const run = await runUnit({ ...input, ...unit, runKey }, ctx.info.attempt, {
            unitTimeoutMs: input.unitTimeoutMs,
            unit: rows.get(unit.unitId) ?? null,
            activityAttempts: ctx.info.attempt,
          });
          stopped = run.throttled;
          outcomes.push(run.settled.catch((err: unknown) => outcomeOf(unit, err)));
        } catch (err) {
          outcomes.push(Promise.resolve(outcomeOf(unit, err)));
        }
      }
      return await Promise.all(outcomes);
    } catch (err) {
      await Promise.allSettled(outcomes); // the records in flight are written (or fail) first
      throw err;
    } finally {
      clearInterval(beat);
    }
  }

  return { runAgent, runAgents };
}

/** A Map that forgets its oldest entries beyond `limit`. */
class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Stores a found value (null is not cached: it may exist later) and returns it. */
  set(key: string, value: V | null): V | null {
    if (value === null) return null;
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value!);
    return value;
  }
}

/**
 * A unit's structured output and why it does not fit, if it does not: the agent's own (claude's
 * structured_output), else its result read as JSON (the command agent's stdout).
 */
function checkOutput(schema: OutputSchema, report: AttemptReport): { output: unknown; problem: string | null } {
  let output = report.output;
  if (output === undefined) {
    try {
      output = JSON.parse(report.result ?? '');
    } catch (err) {
      return { output: null, problem: `the agent's result is not JSON (${(err as Error).message})` };
    }
  }
  if (output === null) return { output, problem: 'the agent gave no structured output' };
  const problem = outputProblem(schema, output);
  return { output, problem: problem && `the output does not fit the schema: ${problem}` };
}

/** The unit's worktree: where it is, its branch, its base. */
function unitWorktree(isolation: ResolvedIsolation, jobId: string, unit: UnitRow): UnitWorktree {
  return {
    repo: isolation.repo,
    dir: unitWorktreeDir(jobId, unit.unitId),
    branch: unitBranch(isolation.branch ?? defaultBranchPrefix(jobId), unit.unitId, unit.key),
    baseCommit: isolation.baseCommit,
  };
}

/** A path in the repository, as the same path in the unit's worktree; any other path as it is. */
function pathInWorktree(worktree: UnitWorktree, p: string): string {
  const relative = path.relative(worktree.repo, realPath(p));
  return relative.startsWith('..') || path.isAbsolute(relative) ? p : path.join(worktree.dir, relative);
}

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The record with its top-level absolute paths mapped (a files unit's file_path). */
function mapPaths(payload: UnitPayload, map: (p: string) => string): UnitPayload {
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => [k, typeof v === 'string' && path.isAbsolute(v) ? map(v) : v]),
  );
}

/** A fresh worktree for the unit; a branch that is not the job's fails it for good, git trouble for a retry. */
async function openWorktree(worktree: UnitWorktree, jobId: string): Promise<void> {
  try {
    await openUnitWorktree(worktree, jobId);
  } catch (err) {
    if (err instanceof BranchTakenError)
      throw ApplicationFailure.nonRetryable(err.message, AGENT_ERROR_TYPES.branchTaken);
    throw ApplicationFailure.retryable(
      `could not make the unit's worktree: ${(err as Error).message}`,
      AGENT_ERROR_TYPES.worktreeFailed,
    );
  }
}

/** Commits the unit's changes and removes its worktree (keeping the branch if it changed something). */
async function commitWorktree(worktree: UnitWorktree, subject: string): Promise<UnitChanges> {
  try {
    const changes = await commitUnitWorktree(worktree, subject);
    await closeUnitWorktree(worktree, changes.commit !== null);
    return changes;
  } catch (err) {
    throw ApplicationFailure.retryable(
      `could not commit the unit's changes: ${(err as Error).message}`,
      AGENT_ERROR_TYPES.worktreeFailed,
    );
  }
}
