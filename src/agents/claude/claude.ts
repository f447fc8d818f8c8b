/**
 * The `claude` adapter: the Claude Code CLI in print mode with stream-json output. What was
 * measured of its contract is in docs/claude-contract.md: classify from the stream, never from
 * the exit code; its own retries off so Temporal owns retries and backoff.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import { runPolicyFields, type AgentFailure, type AgentKind, type AttemptParser } from '../agent.js';
import { buildClaudeArgs, claudeEnv } from './buildArgs.js';
import { classifyAttempt, INSTALL_HINT } from './classify.js';
import { claudeConfigFields, configConflict, resolveConfigPaths } from './config.js';
import { parseStreamLine, type RateLimitInfo, type ResultEvent, type StreamEvent } from './streamJson.js';

export const PERMISSION_MODES = ['default', 'acceptEdits', 'bypassPermissions', 'plan', 'dontAsk'] as const;

export const claudeAgentSchema = z
  .strictObject({
    type: z.literal('claude'),
    ...runPolicyFields,
    model: z.string().min(1).optional(),
    maxTurns: z.number().int().positive().optional(),
    allowedTools: z.array(z.string().min(1)).optional(),
    disallowedTools: z.array(z.string().min(1)).optional(),
    permissionMode: z.enum(PERMISSION_MODES).optional(),
    /** `unit` adds each unit's own directory (`--add-dir`); a list adds those directories to every unit. */
    addDirs: z.union([z.literal('unit'), z.array(z.string().min(1))]).optional(),
    appendSystemPrompt: z.string().min(1).optional(),
    /** Per unit and attempt (`--max-budget-usd`). */
    maxBudgetUsd: z.number().positive().optional(),
    /** Resume the failed attempt's session (`--resume`) instead of starting over. */
    resumeOnRetry: z.boolean().default(false),
    /** Run against the bundled scripted Messages API instead of the real one: free and offline. */
    rehearse: z.boolean().default(false),
    ...claudeConfigFields,
    extraArgs: z.array(z.string()).default([]),
  })
  .superRefine((agent, ctx) => {
    const conflict = configConflict(agent);
    if (conflict) ctx.addIssue({ code: 'custom', path: [conflict.path], message: conflict.message });
  });
export type ClaudeAgentSpec = z.output<typeof claudeAgentSchema>;

export const claudeAgent: AgentKind<ClaudeAgentSpec> = {
  type: 'claude',
  schema: claudeAgentSchema,
  installHint: INSTALL_HINT,

  program: (spec, env) => spec.bin ?? env.CLAUDE_BIN ?? bundledClaude(),
  rehearses: (spec) => spec.rehearse,
  reportsAdmission: true,
  resumesOnRetry: (spec) => spec.resumeOnRetry,

  resolve: (spec, baseDir) => ({
    ...spec,
    ...(Array.isArray(spec.addDirs) ? { addDirs: spec.addDirs.map((d) => path.resolve(baseDir, d)) } : {}),
    ...resolveConfigPaths(spec, baseDir),
  }),

  start(spec, ctx, env) {
    const own = spec.addDirs === 'unit' ? (ctx.unitDirectory ? [ctx.unitDirectory] : []) : (spec.addDirs ?? []);
    // claude reads only its working directories.
    const addDirs = [...own, ...(ctx.readDirs ?? [])];
    return {
      invocation: {
        bin: claudeAgent.program(spec, env),
        args: buildClaudeArgs(spec, {
          prompt: ctx.prompt,
          addDirs,
          resumeSessionId: ctx.resumeSessionId,
          outputSchema: ctx.outputSchema ?? null,
        }),
        env: claudeEnv(spec, ctx.rehearsalUrl),
        stdin: null,
      },
      parser: claudeParser(Boolean(ctx.outputSchema)),
    };
  },
};

/** `wantsOutput`: the CLI was given --json-schema, so its result carries `structured_output` or nothing. */
function claudeParser(wantsOutput: boolean): AttemptParser {
  let sessionId: string | null = null;
  let result: ResultEvent | null = null;
  let rejectedBy: RateLimitInfo | null = null;
  let answered = false;
  const tools = new Set<string>();
  return {
    stdout(lines) {
      const events = lines.map(parseStreamLine).filter((e): e is StreamEvent => e !== null);
      for (const event of events) {
        sessionId = event.sessionId ?? sessionId;
        event.toolUses.forEach((t) => tools.add(t));
        result = event.result ?? result;
        if (event.rateLimit?.status === 'rejected') rejectedBy = event.rateLimit;
        answered ||= event.modelAnswered;
      }
      return events;
    },
    finished: () => result !== null,
    sessionId: () => sessionId,
    admitted: () => answered,
    verdict(facts) {
      const final = result as ResultEvent | null;
      const { ok, ...failure } = classifyAttempt({ ...facts, result: final, rejectedBy });
      return {
        sessionId,
        result: final?.result ?? null,
        isError: final ? final.is_error : null,
        subtype: final?.subtype ?? null,
        terminalReason: final?.terminal_reason ?? null,
        apiErrorStatus: final?.api_error_status ?? null,
        numTurns: final?.num_turns ?? null,
        costUsd: final?.total_cost_usd ?? 0,
        durationMs: final?.duration_ms ?? null,
        toolsUsed: [...tools],
        ...(wantsOutput ? { output: final?.structured_output ?? null } : {}),
        failure: ok ? null : (failure as AgentFailure),
      };
    },
  };
}

/** The `claude` that `npm ci` installed with this package (looked up once: every attempt asks). */
let bundled: string | undefined;
function bundledClaude(): string {
  return (bundled ??= findBundledClaude());
}

function findBundledClaude(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('@anthropic-ai/claude-code/package.json');
    return path.join(path.dirname(pkg), 'bin', 'claude.exe');
  } catch {
    return 'claude';
  }
}
