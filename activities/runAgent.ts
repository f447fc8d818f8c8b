/**
 * The agent activity: one attempt of one unit. Renders the prompt, spawns the Claude CLI,
 * appends every stream event to Postgres as it arrives, heartbeats on every event and on a
 * timer (cancellation only reaches an activity through heartbeats), and classifies the outcome.
 * Only a small summary goes back to the workflow; results and conversations stay in Postgres.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { runAgentProcess } from '../src/agents/agentProcess.js';
import { buildClaudeArgs, claudeEnv } from '../src/agents/claude/buildArgs.js';
import { classifyAttempt } from '../src/agents/claude/classify.js';
import { parseStreamLine, type ResultEvent } from '../src/agents/claude/streamJson.js';
import type { JobSpec } from '../src/spec/schema.js';
import { renderTemplate, TemplateError } from '../src/spec/template.js';
import { sourceFor } from '../src/sources/index.js';
import { appendEvent, finishAttempt, previousSessionId, startAttempt, succeededAttempt } from '../src/store/attempts.js';
import { getJob, getTemplate } from '../src/store/jobs.js';
import { completeUnit, getUnit, markUnitRunning } from '../src/store/units.js';
import { AGENT_ERROR_TYPES } from '../workflows/agentErrors.js';
import type { Phase } from '../workflows/messages.js';
import type { ActivityDeps } from './index.js';
import { unitRunId } from './unitRunId.js';

export interface RunAgentInput {
  jobId: string;
  unitId: number;
  templateVersion: number;
  phase: Phase;
}

export interface AgentSummary {
  /** What this unit run spent, over all its attempts so far. */
  costUsd: number;
  sessionId: string | null;
  numTurns: number | null;
}

const HEARTBEAT_EVERY_MS = 1000;

export function createRunAgent(deps: ActivityDeps) {
  return async function runAgent(input: RunAgentInput): Promise<AgentSummary> {
    const ctx = Context.current();
    const { attempt } = ctx.info;
    const runId = unitRunId(ctx);
    const { db } = deps;

    // A retry after a success whose report was lost must not run the agent again.
    const done = await succeededAttempt(db, runId, input.unitId);
    if (done) return complete(input, runId, done.result, done.sessionId, done.numTurns);

    const [job, unit, template] = await Promise.all([
      getJob(db, input.jobId),
      getUnit(db, input.jobId, input.unitId),
      getTemplate(db, input.jobId, input.templateVersion),
    ]);
    if (!job || !unit || template === null) {
      throw ApplicationFailure.nonRetryable(`unit ${input.unitId} of job ${input.jobId} is not in the database`, 'JobMissing');
    }
    const spec = job.spec as JobSpec;
    const agent = spec.agent;
    const source = sourceFor(spec.source);

    let prompt: string;
    try {
      prompt = renderTemplate(template, unit.payload);
    } catch (err) {
      if (err instanceof TemplateError) throw ApplicationFailure.nonRetryable(err.message, AGENT_ERROR_TYPES.badTemplate);
      throw err;
    }

    const unitDir = agent.addDirs === 'unit' ? source.unitDirectory(unit.payload) : null;
    const addDirs = agent.addDirs === 'unit' ? (unitDir ? [unitDir] : []) : (agent.addDirs ?? []);
    const resumeSessionId = agent.resumeOnRetry && attempt > 1 ? await previousSessionId(db, runId, input.unitId) : null;
    const bin = agent.bin ?? deps.defaultAgentBin;
    const rehearsalUrl = agent.rehearse ? await deps.rehearsalApiUrl() : null;
    const cwd = agent.cwd ?? ('cwd' in spec.source ? spec.source.cwd : process.cwd());

    await markUnitRunning(db, input.jobId, input.unitId, input.templateVersion);
    const attemptId = await startAttempt(db, { ...input, attempt, runId, prompt });

    let seq = 0;
    let sessionId: string | null = null;
    let result: ResultEvent | null = null;
    const tools = new Set<string>();
    const heartbeat = (): void => ctx.heartbeat({ attempt, events: seq, sessionId });
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
        onLine: async (line) => {
          const event = parseStreamLine(line);
          if (!event) return;
          seq += 1;
          sessionId = event.sessionId ?? sessionId;
          event.toolUses.forEach((t) => tools.add(t));
          result = event.result ?? result;
          await appendEvent(db, attemptId, seq, event);
          heartbeat();
        },
      });
    } finally {
      clearInterval(timer);
    }

    const final = result as ResultEvent | null;
    const verdict = classifyAttempt({
      ...outcome,
      result: final,
      bin,
      idleTimeoutSeconds: agent.idleTimeoutSeconds,
    });
    const failed = !verdict.ok;
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
      errorType: outcome.killedBy === 'cancel' ? 'Cancelled' : failed ? verdict.type : null,
      error: outcome.killedBy === 'cancel' ? 'cancelled' : failed ? verdict.message : null,
      stderrTail: outcome.stderrTail || null,
      toolsUsed: [...tools],
    });

    if (outcome.killedBy === 'cancel') {
      const reason = ctx.cancellationSignal.reason;
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

    return complete(input, runId, final?.result ?? null, sessionId, final?.num_turns ?? null);
  };

  async function complete(
    input: RunAgentInput,
    runId: string,
    result: string | null,
    sessionId: string | null,
    numTurns: number | null,
  ): Promise<AgentSummary> {
    const { runCostUsd } = await completeUnit(deps.db, input.jobId, input.unitId, {
      status: 'succeeded',
      runId,
      result,
      error: null,
      sessionId,
    });
    return { costUsd: runCostUsd, sessionId, numTurns };
  }
}
