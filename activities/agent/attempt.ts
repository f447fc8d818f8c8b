/**
 * One attempt of one unit, for any agent adapter: the unit claimed (claims.ts: a stale attempt's
 * writes change nothing, and a unit this run already finished is not run again, whatever the
 * attempt number), its agent run and recorded, checked and repaired (verify), committed (a
 * worktree), and its outcome an `AttemptResult`. `start` resolves once the agent's first run is
 * over, so a group can start its next unit while this one's record is written.
 */
import { CancelledFailure, type Context } from '@temporalio/activity';
import { countedFailures, type Phase, type UnitOutcomeStatus } from '../../src/domain/index.js';
import { commitSubject } from '../../src/git/worktree.js';
import { judgeSuccess, previousSessionId, runErrorTypes } from '../../src/store/attempts.js';
import type { Claim } from '../../src/store/claims.js';
import type { Db } from '../../src/store/db.js';
import { completeUnit, spentInRun } from '../../src/store/units.js';
import { engineMetrics } from '../metrics.js';
import type { WholeAttemptWriter } from '../wholeAttemptWriter.js';
import { runAgentRecorded, type AgentRun } from './agentRun.js';
import type { JobData } from './jobData.js';
import type { MemoryAdmission } from './memoryWait.js';
import { planAttempt, type AttemptPlan } from './plan.js';
import { recordRun, verifyAndRepair, type Recorded } from './record.js';
import type { AttemptResult } from './results.js';
import { resultOf } from './stop.js';
import { closeUnitWorktree, commitWorktree, openWorktree } from './workspace.js';

export interface AttemptDeps {
  db: Db;
  jobData: JobData;
  rehearsalApiUrl: () => Promise<string>;
  writer: WholeAttemptWriter;
  admission: MemoryAdmission;
}

export interface AttemptInput {
  jobId: string;
  unitId: number;
  key: string;
  templateVersion: number;
  phase: Phase;
  /** This execution of the unit (all its attempts): its cost is summed by it. */
  runKey: string;
  /** The job starts slowly: tell it (a signal) as soon as the API has answered this attempt. */
  reportAdmission?: boolean;
  /**
   * The unit's attempts (retries + 1), counted in Postgres: a failure that spends the last one is
   * not retried. Version 1 of the workflow leaves it out (Temporal's retry policy counts there).
   */
  maxAttempts?: number;
}

export interface Started {
  /** How the attempt ended, once it is recorded; never rejects. */
  result: Promise<AttemptResult>;
  /** The API refused its first run: a group starts no more units. */
  throttled: boolean;
}

export class UnitAttempt {
  private readonly signal: AbortSignal;
  /**
   * The number it is recorded with: after this execution's attempts on record, and after the
   * activity's own attempts (those a lost worker cut off before they were recorded).
   */
  private readonly attempt: number;

  constructor(
    private readonly deps: AttemptDeps,
    private readonly ctx: Context,
    private readonly input: AttemptInput,
    private readonly claim: Claim | undefined,
    /** In a group: the unit's own time limit. */
    private readonly unitTimeoutMs: number | null = null,
  ) {
    this.attempt = Math.max((claim?.priorAttempts ?? 0) + 1, ctx.info.attempt);
    const timeout = unitTimeoutMs === null ? null : AbortSignal.timeout(unitTimeoutMs);
    this.signal = timeout ? AbortSignal.any([ctx.cancellationSignal, timeout]) : ctx.cancellationSignal;
  }

  async start(): Promise<Started> {
    const started = await this.begin();
    // A metric must never be what fails a worker: its instruments' errors are dropped.
    void started.result.then(countSettlement).catch(() => undefined);
    return started;
  }

  private async begin(): Promise<Started> {
    let plan: AttemptPlan | null = null;
    let first: AgentRun;
    try {
      const early = await this.alreadyDone();
      if (early) return { result: Promise.resolve(early), throttled: false };
      plan = await planAttempt(this.deps.jobData, this.input, this.claim?.unit);
      if (plan.worktree) await openWorktree(plan.worktree, this.input.jobId);
      first = await this.run(plan, plan.prompt, await this.resumeSessionId(plan));
    } catch (err) {
      if (plan?.worktree) await closeUnitWorktree(plan.worktree, false).catch(() => undefined);
      return { result: Promise.resolve(this.resultOf(err)), throttled: false };
    }
    const concluded = this.conclude(plan, first).then((r) => this.spend(r));
    const result = concluded.catch((err: unknown) => this.resultOf(err));
    return { result: plan.worktree ? this.cleaned(plan, result) : result, throttled: first.throttle !== null };
  }

  /** A retryable failure that spent the unit's last attempt (Postgres counts them) is one no more. */
  private async spend(result: AttemptResult): Promise<AttemptResult> {
    const max = this.input.maxAttempts;
    if (result.kind !== 'failed' || !result.retryable || max === undefined) return result;
    const failures = countedFailures(await runErrorTypes(this.deps.db, this.input.runKey, this.input.unitId));
    if (failures < max) return result;
    const spent = max > 1 ? ` (failed ${failures} of ${max} attempts)` : '';
    return { ...result, retryable: false, message: `${result.message}${spent}` };
  }

  /** The claim says there is nothing to run: this run already succeeded, or the job settled the unit. */
  private async alreadyDone(): Promise<AttemptResult | null> {
    const { claim, input } = this;
    if (!claim) return null; // planAttempt says the unit is missing
    if (claim.fence === null) {
      const status = claim.unit.status as UnitOutcomeStatus;
      if (status !== 'succeeded') return { kind: 'settled', status };
      const costUsd = await spentInRun(this.deps.db, input.jobId, input.unitId, input.runKey);
      return { kind: 'succeeded', costUsd, durationMs: null };
    }
    if (!claim.done) return null;
    // A success recorded just before its worker died, its unit not settled yet.
    const { runCostUsd } = await completeUnit(this.deps.db, input.jobId, input.unitId, claim.fence, {
      runKey: input.runKey,
      ...claim.done,
    });
    return { kind: 'succeeded', costUsd: runCostUsd, durationMs: null };
  }

  private async resumeSessionId(plan: AttemptPlan): Promise<string | null> {
    // A retry in a worktree starts afresh (its worktree is reset): the old session's edits are gone.
    if (!plan.kind.resumesOnRetry?.(plan.agent) || this.attempt <= 1 || plan.worktree) return null;
    return previousSessionId(this.deps.db, this.input.runKey, this.input.unitId);
  }

  /** One run of the agent: on the unit's prompt, or on a repair prompt continuing its session. */
  private async run(plan: AttemptPlan, prompt: string, resumeSessionId: string | null): Promise<AgentRun> {
    return runAgentRecorded({
      db: this.deps.db,
      ctx: this.ctx,
      plan,
      input: this.input,
      attempt: this.attempt,
      fence: this.claim!.fence!,
      prompt,
      resumeSessionId,
      rehearsalUrl: plan.kind.rehearses?.(plan.agent) ? await this.deps.rehearsalApiUrl() : null,
      signal: this.signal,
      unitTimeoutMs: this.unitTimeoutMs,
      reportAdmission: this.input.reportAdmission ?? false,
      writer: this.deps.writer,
      admission: this.deps.admission,
      batched: this.unitTimeoutMs !== null,
    });
  }

  /** The first run recorded; then its check and repairs, its commit, and the unit settled. */
  private async conclude(plan: AttemptPlan, first: AgentRun): Promise<AttemptResult> {
    const recorded = await this.record(plan, first);
    if ('kind' in recorded) return recorded;
    if (!plan.spec.verify && !plan.worktree) {
      return { kind: 'succeeded', costUsd: recorded.costUsd, durationMs: Math.round(first.outcome.durationMs) };
    }
    const checked = plan.spec.verify
      ? await verifyAndRepair(this.recordContext(plan), first, recorded, (prompt, session) =>
          this.run(plan, prompt, session),
        )
      : { passed: first, ...recorded };
    if ('kind' in checked) return checked;
    // A pending success is one now: its changes committed and its worktree removed before the
    // attempt is judged and the unit settled, so a crash in between runs the unit again from its base.
    const changes = plan.worktree
      ? await commitWorktree(plan.worktree, commitSubject(this.input.jobId, plan.unit.key))
      : null;
    const { report } = checked.passed;
    const { runCostUsd } = await judgeSuccess(
      this.deps.db,
      checked.attemptId,
      { ...this.input, fence: this.claim!.fence! },
      {
        result: report.result,
        sessionId: report.sessionId,
        output: report.output,
        changes,
      },
    );
    return { kind: 'succeeded', costUsd: runCostUsd, durationMs: Math.round(Date.now() - first.startedAt) };
  }

  private record(plan: AttemptPlan, run: AgentRun): Promise<Recorded | AttemptResult> {
    return recordRun(this.recordContext(plan), run);
  }

  private recordContext(plan: AttemptPlan) {
    return {
      db: this.deps.db,
      input: this.input,
      fence: this.claim!.fence!,
      plan,
      signal: this.signal,
      attempt: this.attempt,
      interruptedBy: () => this.interruptedBy(),
      heartbeat: (details: Record<string, unknown>) => this.ctx.heartbeat({ attempt: this.attempt, ...details }),
    };
  }

  /** A unit that did not succeed leaves no worktree, nor a branch. */
  private async cleaned(plan: AttemptPlan, result: Promise<AttemptResult>): Promise<AttemptResult> {
    const outcome = await result;
    if (outcome.kind !== 'succeeded') await closeUnitWorktree(plan.worktree!, false).catch(() => undefined);
    return outcome;
  }

  /** What cut the attempt off when it was not the job's cancellation (a worker going down…), if anything. */
  private interruptedBy(): string | null {
    // The SDK aborts with the reason: CANCELLED (the job's request), WORKER_SHUTDOWN, TIMED_OUT…
    const reason: unknown = this.ctx.cancellationSignal.reason;
    return reason instanceof CancelledFailure && reason.message !== 'CANCELLED' ? reason.message : null;
  }

  private resultOf(err: unknown): AttemptResult {
    return resultOf(err, () => this.interruptedBy());
  }
}

/** The metric of units settled by attempts: a success this attempt ran, or a failure not retried. */
function countSettlement(result: AttemptResult): void {
  if (result.kind === 'succeeded' && result.durationMs !== null) engineMetrics().unitSettled('succeeded');
  else if (result.kind === 'failed' && !result.retryable) engineMetrics().unitSettled('failed');
}
