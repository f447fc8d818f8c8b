/**
 * The `codex` adapter: the OpenAI Codex CLI (`codex exec --json`), npm `@openai/codex`. Its own
 * retries are turned off where it allows (a custom provider when rehearsing; connection retries
 * always), so Temporal owns retries and backoff. Codex reports tokens but no cost: give
 * `pricing` and the cost is computed from the usage. What was measured of its contract (codex-cli
 * 0.169.0) is in docs/codex-contract.md.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import { AGENT_ERROR_TYPES } from '../../domain/index.js';
import { privateTempRoot } from '../../privateTemp.js';
import { failure, processFailure, runPolicyFields, type AgentKind, type AttemptParser } from '../agent.js';
import { classifyCodexFailure } from './classify.js';
import { codexConfigArgs, codexConfigFields } from './config.js';
import { parseCodexLine, type CodexEvent, type CodexUsage } from './events.js';

export const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const;

const perMillion = z.number().min(0);

export const codexAgentSchema = z.strictObject({
  type: z.literal('codex'),
  ...runPolicyFields,
  model: z.string().min(1).optional(),
  /** What the agent's commands may touch; codex's own default for exec, read-only, is least privilege. */
  sandbox: z.enum(SANDBOX_MODES).default('read-only'),
  /** USD per million tokens, to turn the usage codex reports into a cost (it reports none). */
  pricing: z.strictObject({ input: perMillion, cachedInput: perMillion.optional(), output: perMillion }).optional(),
  /** Resume the failed attempt's thread (`codex exec resume`) instead of starting over. */
  resumeOnRetry: z.boolean().default(false),
  /** Run against the bundled scripted Responses API instead of the real one: free and offline. */
  rehearse: z.boolean().default(false),
  ...codexConfigFields,
  /** Extra `-c key=value` overrides of codex's configuration. */
  config: z.record(z.string(), z.string()).default({}),
  extraArgs: z.array(z.string()).default([]),
});
export type CodexAgentSpec = z.output<typeof codexAgentSchema>;

const INSTALL_HINT = 'install @openai/codex (`npm i -g @openai/codex`), or set CODEX_BIN / agent.bin';
/** The provider a rehearsal talks to, and the variable its dummy key is read from. */
const REHEARSAL_PROVIDER = 'agentic_batch_rehearsal';
const REHEARSAL_KEY_ENV = 'AGENTIC_BATCH_REHEARSAL_KEY';

export const codexAgent: AgentKind<CodexAgentSpec> = {
  type: 'codex',
  schema: codexAgentSchema,
  installHint: INSTALL_HINT,

  program: (spec, env) => spec.bin ?? env.CODEX_BIN ?? bundledCodex() ?? 'codex',
  rehearses: (spec) => spec.rehearse,
  resumesOnRetry: (spec) => spec.resumeOnRetry,

  start(spec, ctx, env) {
    const args = ['exec', '--json', '--skip-git-repo-check', '--sandbox', spec.sandbox];
    // Without this a refused connection is retried for ever, whatever the retry settings say.
    args.push('--disable', 'unbounded_connection_retries');
    if (spec.model) args.push('--model', spec.model);
    const childEnv: Record<string, string> = { ...spec.env };
    if (ctx.rehearsalUrl) {
      const provider = `{name="agentic-batch rehearsal", base_url="${ctx.rehearsalUrl}/v1", env_key="${REHEARSAL_KEY_ENV}", wire_api="responses", request_max_retries=0, stream_max_retries=0}`;
      args.push(
        '-c',
        `model_provider=${REHEARSAL_PROVIDER}`,
        '-c',
        `model_providers.${REHEARSAL_PROVIDER}=${provider}`,
      );
      childEnv[REHEARSAL_KEY_ENV] = 'sk-rehearsal-not-a-real-key';
      // A private home: rehearsals must not mix with the user's own codex sessions.
      childEnv.CODEX_HOME ??= path.join(privateTempRoot(), 'codex-rehearsal');
      mkdirSync(childEnv.CODEX_HOME, { recursive: true, mode: 0o700 });
    }
    args.push(...codexConfigArgs(spec));
    for (const [key, value] of Object.entries(spec.config)) args.push('-c', `${key}=${value}`);
    args.push(...spec.extraArgs);
    if (ctx.resumeSessionId) args.push('resume', ctx.resumeSessionId);
    // Last, after `--`: a prompt starting with "-" is not an option.
    args.push('--', ctx.prompt);
    return {
      invocation: { bin: codexAgent.program(spec, env), args, env: childEnv, stdin: null },
      parser: codexParser(spec),
    };
  },
};

function codexParser(spec: CodexAgentSpec): AttemptParser {
  let threadId: string | null = null;
  let message: string | null = null;
  let completed: { usage: CodexUsage | null } | null = null;
  let failed: string | null = null;
  let turns = 0;
  const tools = new Set<string>();
  return {
    stdout(lines) {
      const events = lines.map(parseCodexLine).filter((e): e is CodexEvent => e !== null);
      for (const e of events) {
        threadId = e.threadId ?? threadId;
        message = e.message ?? message;
        if (e.tool) tools.add(e.tool);
        if (e.type === 'turn.started') turns += 1;
        completed = e.completed ?? completed;
        failed = e.failed ?? failed;
      }
      return events;
    },
    finished: () => completed !== null || failed !== null,
    sessionId: () => threadId,
    verdict(facts) {
      const usage = (completed as { usage: CodexUsage | null } | null)?.usage ?? null;
      const report = {
        sessionId: threadId,
        result: message,
        isError: completed === null,
        subtype: completed ? 'turn.completed' : failed !== null ? 'turn.failed' : null,
        terminalReason: null,
        apiErrorStatus: null,
        numTurns: turns || null,
        costUsd: usage && spec.pricing ? cost(usage, spec.pricing) : 0,
        durationMs: null,
        toolsUsed: [...tools],
      };
      if (completed && !facts.spawnError) return { ...report, failure: null };
      const common = processFailure(facts, INSTALL_HINT);
      if (common && (facts.spawnError || failed === null)) return { ...report, failure: common };
      if (failed !== null) return { ...report, failure: classifyCodexFailure(failed) };
      const how = facts.signal ? `was killed by ${facts.signal}` : `exited with code ${facts.exitCode}`;
      const stderr = facts.stderrTail
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('WARNING:'))
        .slice(0, 2)
        .join(' | ');
      return {
        ...report,
        failure: failure(
          AGENT_ERROR_TYPES.noResult,
          `codex ${how} without finishing its turn${stderr ? `: ${stderr}` : ''}`,
        ),
      };
    },
  };
}

/** Input tokens include the cached ones (OpenAI's convention); cached ones cost less when priced. */
function cost(usage: CodexUsage, pricing: NonNullable<CodexAgentSpec['pricing']>): number {
  const cached = Math.min(usage.cached_input_tokens, usage.input_tokens);
  const fresh = usage.input_tokens - cached;
  return (
    (fresh * pricing.input + cached * (pricing.cachedInput ?? pricing.input) + usage.output_tokens * pricing.output) /
    1e6
  );
}

const TRIPLES: Record<string, string> = {
  'linux-x64': 'x86_64-unknown-linux-musl',
  'linux-arm64': 'aarch64-unknown-linux-musl',
  'darwin-x64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
};

/** The native binary of the @openai/codex that npm installed here, if any (looked up once: every attempt asks). */
let bundled: string | null | undefined;
function bundledCodex(): string | null {
  return bundled === undefined ? (bundled = findBundledCodex()) : bundled;
}

/** Its JS launcher is skipped: it only finds and runs this binary. */
function findBundledCodex(): string | null {
  const platform = `${process.platform}-${process.arch}`;
  const triple = TRIPLES[platform];
  if (!triple) return null;
  try {
    const pkg = createRequire(import.meta.url).resolve(`@openai/codex-${platform}/package.json`);
    return path.join(path.dirname(pkg), 'vendor', triple, 'bin', 'codex');
  } catch {
    return null;
  }
}
