/**
 * Several short units, one after another in one activity, each claimed, run, recorded and judged
 * on its own; each unit's record is written while the next one runs. A unit's failure is
 * reported for the job to retry; cancellation by the job stops the group (the rest are reported
 * cancelled); an interruption (worker shutdown) fails the whole group so it runs again
 * elsewhere, where the units it finished are not run again (their claims say so). A unit the API
 * refused stops the group too, and so does a paused job, or a group that no longer holds its
 * units (it was frozen past its heartbeat timeout and replaced): the rest go back unstarted.
 */
import { CancelledFailure, Context } from '@temporalio/activity';
import type { GroupedUnitOutcome, Phase, UnitRef } from '../../src/domain/index.js';
import { claimUnits, groupMayGoOn, type Claim } from '../../src/store/claims.js';
import { UnitAttempt, type AttemptDeps } from './attempt.js';
import { activityFailure, groupedOutcome, type AttemptResult } from './results.js';
import { resultOf } from './stop.js';

/** Short units, run one after another in one activity: a Temporal round trip for several units. */
export interface RunAgentsInput {
  jobId: string;
  templateVersion: number;
  phase: Phase;
  units: (UnitRef & { runKey: string })[];
  /** Each unit's own limit (the activity's covers the whole group). */
  unitTimeoutMs: number;
  /** The unit's attempts, counted in Postgres (absent from version 1 of the workflow). */
  maxAttempts?: number;
}

/** How often a group reads whether its job was paused and whether it still holds its next unit. */
const CHECK_EVERY_MS = 1000;
/** Timer heartbeats of a group: at least this far apart (a heartbeat a second cost 6% efficiency). */
const HEARTBEAT_EVERY_MS = 1000;

type Step = { unit: UnitRef; result: Promise<AttemptResult> } | { unit: UnitRef; notStarted: true };

export async function runGroup(deps: AttemptDeps, input: RunAgentsInput): Promise<GroupedUnitOutcome[]> {
  const ctx = Context.current();
  let claims: Map<number, Claim>;
  try {
    claims = await claimUnits(deps.db, input.jobId, input.units);
  } catch (err) {
    throw activityFailure(asFailure(resultOf(err, () => null)));
  }
  // The group heartbeats on its own (a unit does only from its 5th second), a third of the
  // heartbeat timeout apart: cancellation reaches it on a heartbeat, within that third.
  const beat = setInterval(
    () => ctx.heartbeat({ group: input.units.length }),
    Math.max(HEARTBEAT_EVERY_MS, (ctx.info.heartbeatTimeoutMs ?? 30_000) / 3),
  );
  const steps: Step[] = [];
  const settled = () => Promise.all(steps.map((s) => ('result' in s ? s.result : null)));
  try {
    let interrupted: Awaited<ReturnType<typeof runUnits>>;
    try {
      interrupted = await runUnits(deps, ctx, input, claims, steps);
      deps.writer.flush(); // no record of the last units waits
    } catch (err) {
      deps.writer.flush();
      await settled(); // the records in flight are written (or fail) first
      throw activityFailure(asFailure(resultOf(err, () => null)));
    }
    const results = await settled();
    if (interrupted) throw activityFailure(interrupted);
    const failure = results.find((r) => r?.kind === 'interrupted');
    if (failure?.kind === 'interrupted') throw activityFailure(failure);
    return steps.map((step, i) =>
      'notStarted' in step
        ? { ...step.unit, phase: input.phase, status: 'notStarted' as const }
        : groupedOutcome({ ...step.unit, phase: input.phase }, results[i]!),
    );
  } finally {
    clearInterval(beat);
  }
}

/** Runs the units in order into `steps`; returns the interruption that stopped the group, if one did. */
async function runUnits(
  deps: AttemptDeps,
  ctx: Context,
  input: RunAgentsInput,
  claims: Map<number, Claim>,
  steps: Step[],
): Promise<Extract<AttemptResult, { kind: 'interrupted' }> | null> {
  let checkedAt = Date.now();
  let stopped = false;
  for (const { runKey, ...unit } of input.units) {
    const claim = claims.get(unit.unitId);
    if (!stopped && claim?.fence != null && Date.now() - checkedAt >= CHECK_EVERY_MS) {
      checkedAt = Date.now();
      const { paused, held } = await groupMayGoOn(deps.db, input.jobId, unit.unitId, claim.fence);
      stopped = !held || (paused && input.phase === 'batch');
    }
    if (stopped) {
      steps.push({ unit, notStarted: true });
      continue;
    }
    if (ctx.cancellationSignal.aborted) {
      const reason: unknown = ctx.cancellationSignal.reason;
      if (!(reason instanceof CancelledFailure) || reason.message !== 'CANCELLED')
        return { kind: 'interrupted', message: 'the group was interrupted' };
      steps.push({ unit, result: Promise.resolve({ kind: 'cancelled' }) });
      continue;
    }
    const attempt = new UnitAttempt(deps, ctx, { ...input, ...unit, runKey }, claim, input.unitTimeoutMs);
    const started = await attempt.start();
    steps.push({ unit, result: started.result });
    stopped = started.throttled;
  }
  return null;
}

function asFailure(result: AttemptResult): Parameters<typeof activityFailure>[0] {
  return result.kind === 'failed' || result.kind === 'interrupted' || result.kind === 'cancelled'
    ? result
    : { kind: 'failed', type: 'AgentFailed', message: `unexpected ${result.kind}`, retryable: true };
}
