/**
 * The agent activity: one attempt of one unit. Renders the prompt, spawns the Claude CLI,
 * appends every stream event to Postgres as it arrives, heartbeats on events and on a timer
 * (cancellation only reaches an activity through heartbeats), classifies the outcome and, on
 * success, records it. Only a small summary goes back to the workflow; results and
 * conversations stay in Postgres.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { runAgentProcess } from '../src/agents/agentProcess.js';
import { buildClaudeArgs, claudeEnv } from '../src/agents/claude/buildArgs.js';
import { classifyAttempt } from '../src/agents/claude/classify.js';
import { parseStreamLine, type ResultEvent, type StreamEvent } from '../src/agents/claude/streamJson.js';
import type { JobSpec } from '../src/spec/schema.js';
import { renderTemplate, TemplateError } from '../src/spec/template.js';
import { sourceFor } from '../src/sources/index.js';
import { appendEvents, finishAttempt, previousSessionId, startAttempt, succeededAttempt } from '../src/store/attempts.js';
import { getJob, getTemplate } from '../src/store/jobs.js';
import { completeUnit, getUnit } from '../src/store/units.js';
import { AGENT_ERROR_TYPES } from '../workflows/agentErrors.js';
import type { Phase, UnitFinished } from '../workflows/messages.js';
import type { ActivityDeps } from './index.js';

export interface RunAgentInput {
  jobId: string;
  unitId: number;
  key: string;
  templateVersion: number;
  phase: Phase;
  /** This execution of the unit (all its attempts): its cost is summed by it. */
  runKey: string;
}

/** Timer heartbeats, once they have started. */
const HEARTBEAT_EVERY_MS = 1000;
/**
 * No heartbeats during an attempt's first seconds: most short units finish before anyone could
 * need one, and every heartbeat is a server write. Capped to a third of the heartbeat timeout.
 */
const HEARTBEAT_AFTER_MS = 5000;

export function createRunAgent(deps: ActivityDeps) {
  const { db } = deps;
  // A job's spec and a template version never change: read each once per worker.
  const specs = new BoundedCache<JobSpec>(200);
  const templates = new BoundedCache<string>(200);

  const jobSpec = async (jobId: string): Promise<JobSpec | null> =>
    specs.get(jobId) ?? specs.set(jobId, ((await getJob(db, jobId))?.spec as JobSpec | undefined) ?? null);
  const template = async (jobId: string, version: number): Promise<string | null> =>
    templates.get(`${jobId}@${version}`) ?? templates.set(`${jobId}@${version}`, await getTemplate(db, jobId, version));

  async function succeed(input: RunAgentInput, result: string | null, sessionId: string | null): Promise<UnitFinished> {
    const { runKey } = input;
    const { runCostUsd } = await completeUnit(db, input.jobId, input.unitId, { status: 'succeeded', runKey, result, error: null, sessionId });
    return { unitId: input.unitId, key: input.key, phase: input.phase, status: 'succeeded', costUsd: runCostUsd, error: null };
  }

  return async function runAgent(input: RunAgentInput): Promise<UnitFinished> {
    const ctx = Context.current();
    const { attempt } = ctx.info;
    const { runKey } = input;

    // A retry after a success whose completion was lost must not run the agent again.
    const done = attempt > 1 ? await succeededAttempt(db, runKey, input.unitId) : null;
    if (done) return succeed(input, done.result, done.sessionId);

    const [spec, unit, text] = await Promise.all([
      jobSpec(input.jobId),
      getUnit(db, input.jobId, input.unitId),
      template(input.jobId, input.templateVersion),
    ]);
    if (!spec || !unit || text === null) {
      throw ApplicationFailure.nonRetryable(`unit ${input.unitId} of job ${input.jobId} is not in the database`, 'JobMissing');
    }
    const agent = spec.agent;

    let prompt: string;
    try {
      prompt = renderTemplate(text, unit.payload);
    } catch (err) {
      if (err instanceof TemplateError) throw ApplicationFailure.nonRetryable(err.message, AGENT_ERROR_TYPES.badTemplate);
      throw err;
    }

    const unitDir = agent.addDirs === 'unit' ? sourceFor(spec.source).unitDirectory(unit.payload) : null;
    const addDirs = agent.addDirs === 'unit' ? (unitDir ? [unitDir] : []) : (agent.addDirs ?? []);
    const resumeSessionId = agent.resumeOnRetry && attempt > 1 ? await previousSessionId(db, runKey, input.unitId) : null;
    const bin = agent.bin ?? deps.defaultAgentBin;
    const rehearsalUrl = agent.rehearse ? await deps.rehearsalApiUrl() : null;
    const cwd = agent.cwd ?? spec.source.cwd;

    const attemptId = await startAttempt(db, { ...input, attempt, prompt });

    let seq = 0;
    let sessionId: string | null = null;
    let result: ResultEvent | null = null;
    const tools = new Set<string>();
    const heartbeatAfter = Date.now() + Math.min(HEARTBEAT_AFTER_MS, (ctx.info.heartbeatTimeoutMs ?? 30_000) / 3);
    const heartbeat = (): void => {
      if (Date.now() >= heartbeatAfter) ctx.heartbeat({ attempt, events: seq, sessionId });
    };
    const timer = setInterval(heartbeat, HEARTBEAT_EVERY_MS);

    let outcome;
    try {
      outcome = await runAgentProcess({
        bin,
        args: buildClaudeArgs(agent, { prompt, addDirs, resumeSessionId }),
        cwd,
        env: claudeEnv(agent, rehearsalUrl),
        signal: ctx.cancellationSignal,
        idleTimeoutMs: agent.idleTimeoutSeconds * 1000,
        onLines: async (lines) => {
          const events = lines.map(parseStreamLine).filter((e): e is StreamEvent => e !== null);
          for (const event of events) {
            sessionId = event.sessionId ?? sessionId;
            event.toolUses.forEach((t) => tools.add(t));
            result = event.result ?? result;
          }
          await appendEvents(db, attemptId, seq + 1, events);
          seq += events.length;
          heartbeat();
          return result !== null;
        },
      });
    } finally {
      clearInterval(timer);
    }

    const final = result as ResultEvent | null;
    const verdict = classifyAttempt({ ...outcome, result: final, bin, idleTimeoutSeconds: agent.idleTimeoutSeconds });
    const cancelled = outcome.killedBy === 'cancel';
    // The SDK aborts with the reason: CANCELLED (the job's request), WORKER_SHUTDOWN, TIMED_OUT…
    const reason: unknown = ctx.cancellationSignal.reason;
    const interruptedBy = reason instanceof CancelledFailure && reason.message !== 'CANCELLED' ? reason.message : null;
    await finishAttempt(db, attemptId, {
      sessionId,
      result: final?.result ?? null,
      isError: final ? final.is_error : null,
      subtype: final?.subtype ?? null,
      terminalReason: final?.terminal_reason ?? null,
      apiErrorStatus: final?.api_error_status ?? null,
      numTurns: final?.num_turns ?? null,
      costUsd: final?.total_cost_usd ?? 0,
      durationMs: final?.duration_ms ?? outcome.durationMs,
      exitCode: outcome.exitCode,
      errorType: cancelled ? (interruptedBy ? AGENT_ERROR_TYPES.interrupted : 'Cancelled') : verdict.ok ? null : verdict.type,
      error: cancelled ? (interruptedBy ? `interrupted: ${interruptedBy}` : 'cancelled') : verdict.ok ? null : verdict.message,
      stderrTail: outcome.stderrTail || null,
      toolsUsed: [...tools],
    });

    if (cancelled) {
      // Not the job's cancellation (a worker going down, a timeout): a retryable failure, so the
      // unit goes on elsewhere. It still counts as an attempt: Temporal has no uncounted kind.
      if (interruptedBy) throw ApplicationFailure.retryable(`the attempt was interrupted (${interruptedBy})`, AGENT_ERROR_TYPES.interrupted);
      throw reason instanceof CancelledFailure ? reason : new CancelledFailure('cancelled');
    }
    if (!verdict.ok) {
      throw ApplicationFailure.create({
        type: verdict.type,
        message: verdict.message,
        nonRetryable: !verdict.retryable,
        nextRetryDelay: verdict.nextRetryDelayMs,
      });
    }
    return succeed(input, final?.result ?? null, sessionId);
  };
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
