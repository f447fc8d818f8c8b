/**
 * One run of a unit's agent: the adapter's program started, every event appended to Postgres as
 * it arrives (bounded: attemptRecorder.ts), heartbeats on events and on a timer (cancellation
 * reaches an activity only through heartbeats), the model API's first answer signalled to a job
 * that starts slowly, and the adapter's verdict, with the structured output checked.
 */
import type { Context } from '@temporalio/activity';
import type { AgentFailure, AttemptVerdict } from '../../src/agents/agent.js';
import { attemptEnv } from '../../src/agents/agentEnv.js';
import { agentFailure, outputLimits, processBounds, processFacts, runAgentProcess } from '../../src/agents/index.js';
import type { AgentProcessOutcome } from '../../src/agents/process.js';
import {
  AGENT_ERROR_TYPES,
  throttleKind,
  UNIT_ADMITTED_SIGNAL,
  type AttemptReport,
  type ThrottleKind,
} from '../../src/domain/index.js';
import type { Db } from '../../src/store/db.js';
import { AttemptRecorder } from '../attemptRecorder.js';
import { engineMetrics, type EngineMetrics } from '../metrics.js';
import type { WholeAttemptWriter } from '../wholeAttemptWriter.js';
import type { MemoryAdmission } from './memoryWait.js';
import { checkOutput } from './output.js';
import type { AttemptPlan } from './plan.js';

/** Timer heartbeats, once they have started. */
const HEARTBEAT_EVERY_MS = 1000;
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

export interface RunRequest {
  db: Db;
  ctx: Context;
  plan: AttemptPlan;
  input: { jobId: string; unitId: number; templateVersion: number; phase: 'test' | 'batch'; runKey: string };
  attempt: number;
  fence: number;
  prompt: string;
  resumeSessionId: string | null;
  rehearsalUrl: string | null;
  /** Aborted by the job, the worker, or the unit's own timeout in a group. */
  signal: AbortSignal;
  /** Set in a group: the unit's own limit. */
  unitTimeoutMs: number | null;
  reportAdmission: boolean;
  writer: WholeAttemptWriter;
  /** In a group: its record may be written with others'. */
  batched: boolean;
  /** The worker's memory gate: the agent starts once the machine can hold it. */
  admission: MemoryAdmission;
}

export interface AgentRun {
  report: AttemptReport;
  outcome: AgentProcessOutcome;
  failure: AgentFailure | null;
  /** Stopped by a cancellation (the job's, or the worker going down), not by its own doing. */
  cancelled: boolean;
  throttle: ThrottleKind | null;
  recorder: AttemptRecorder;
  startedAt: number;
}

export async function runAgentRecorded(r: RunRequest): Promise<AgentRun> {
  const request = { jobId: r.input.jobId, kind: r.plan.agent.type, signal: r.signal };
  const token = await r.admission.admit(r.ctx, request);
  let run: AgentRun | undefined;
  try {
    run = await runAdmitted(r);
    return run;
  } finally {
    // Its peak teaches the gate what its kind takes.
    if (token !== null) r.admission.gate.ended(token, run?.outcome.peakRssBytes);
  }
}

async function runAdmitted(r: RunRequest): Promise<AgentRun> {
  const { ctx, plan } = r;
  const { invocation, parser } = plan.kind.start(
    plan.agent,
    {
      prompt: r.prompt,
      render: plan.render,
      unitDirectory: plan.unitDirectory,
      resumeSessionId: r.resumeSessionId,
      rehearsalUrl: r.rehearsalUrl,
      outputSchema: plan.outputSchema,
    },
    process.env,
  );
  const startedAt = Date.now();
  const recorder = new AttemptRecorder(
    r.db,
    { ...r.input, attempt: r.attempt, prompt: r.prompt, startedAt, fence: r.fence },
    { writeAfterMs: RECORD_AFTER_MS, limits: outputLimits(plan.agent), writer: r.writer, batched: r.batched },
  );
  const heartbeatAfter = Date.now() + Math.min(HEARTBEAT_AFTER_MS, (ctx.info.heartbeatTimeoutMs ?? 30_000) / 3);
  const heartbeat = (): void => {
    if (Date.now() >= heartbeatAfter)
      ctx.heartbeat({ attempt: r.attempt, events: recorder.count, sessionId: parser.sessionId() });
  };
  const timer = setInterval(heartbeat, HEARTBEAT_EVERY_MS);
  const admission = new AdmissionReport(ctx, r.input.unitId, r.reportAdmission && !!parser.admitted);
  let outcome: AgentProcessOutcome;
  const metrics = engineMetrics();
  metrics.agentStarted(plan.agent.type);
  let run: AgentRun | null = null;
  try {
    const env = attemptEnv(plan.agent, plan.jobSecrets, process.env);
    outcome = await runAgentProcess({
      ...invocation,
      env: { ...env.env, ...invocation.env },
      unsetEnv: env.unset,
      ...processBounds(plan.agent),
      cwd: plan.cwd,
      signal: r.signal,
      onStdout: async (lines) => {
        await recorder.add(parser.stdout(lines));
        if (parser.admitted?.()) admission.report();
        heartbeat();
        return parser.finished();
      },
      onStderr: parser.stderr && ((lines) => recorder.add(parser.stderr!(lines))),
    });
    run = judge(r, parser.verdict(processFacts(outcome, invocation.bin, plan.agent)), outcome, recorder, startedAt);
    return run;
  } catch (err) {
    recorder.abandon();
    throw err;
  } finally {
    clearInterval(timer);
    metrics.agentEnded(plan.agent.type, runMetrics(run));
  }
}

/** What the metrics keep of a run (null: it threw, the worker's own trouble). */
function runMetrics(run: AgentRun | null): Parameters<EngineMetrics['agentEnded']>[1] {
  if (!run) return { outcome: 'failed', errorType: 'WorkerError', costUsd: 0, throttle: null };
  const outcome = run.cancelled ? 'cancelled' : run.throttle ? 'throttled' : run.failure ? 'failed' : 'succeeded';
  return { outcome, errorType: run.failure?.type ?? null, costUsd: run.report.costUsd, throttle: run.throttle };
}

/** The verdict, with the unit's own timeout and its structured output taken into account. */
function judge(
  r: RunRequest,
  verdict: AttemptVerdict,
  outcome: AgentProcessOutcome,
  recorder: AttemptRecorder,
  startedAt: number,
): AgentRun {
  const timedOut = outcome.killedBy === 'cancel' && !r.ctx.cancellationSignal.aborted;
  const cancelled = outcome.killedBy === 'cancel' && !timedOut;
  const { failure: verdictFailure, ...report } = verdict;
  const schema = r.plan.outputSchema;
  const checked = schema && !verdictFailure && !timedOut && !cancelled ? checkOutput(schema, report) : null;
  if (checked) report.output = checked.output;
  const failure = timedOut
    ? agentFailure(AGENT_ERROR_TYPES.timedOut, `the unit ran longer than its ${r.unitTimeoutMs! / 1000}s timeout`)
    : (verdictFailure ?? (checked?.problem ? agentFailure(AGENT_ERROR_TYPES.outputInvalid, checked.problem) : null));
  const throttle = !cancelled && failure ? throttleKind(failure.type) : null;
  return { report, outcome, failure, cancelled, throttle, recorder, startedAt };
}

/** Tells a job that starts slowly, once, that the API answered this unit (a signal, best effort). */
class AdmissionReport {
  private done: boolean;

  constructor(
    private readonly ctx: Context,
    private readonly unitId: number,
    wanted: boolean,
  ) {
    this.done = !wanted || !ctx.info.workflowExecution?.workflowId;
  }

  report(): void {
    if (this.done) return;
    this.done = true;
    // A lost signal only slows the start, and the unit's success admits it anyway.
    this.ctx.client.workflow
      .getHandle(this.ctx.info.workflowExecution!.workflowId)
      .signal(UNIT_ADMITTED_SIGNAL, { unitId: this.unitId })
      .catch(() => undefined);
  }
}
