/** The Claude CLI command line for one attempt, from the spec's agent options. */
import type { ClaudeAgentSpec } from './claude.js';
import { configArgs } from './config.js';

export interface ClaudeInvocation {
  prompt: string;
  /** Directories to pass with --add-dir (the unit's own, and/or the spec's list). */
  addDirs: readonly string[];
  /** Continue this session instead of starting a new one. */
  resumeSessionId: string | null;
  /** Ask for structured output fitting this JSON Schema. */
  outputSchema?: Record<string, unknown> | null;
}

export function buildClaudeArgs(agent: ClaudeAgentSpec, run: ClaudeInvocation): string[] {
  const args = ['-p', '--output-format', 'stream-json', '--verbose'];
  if (run.resumeSessionId) args.push('--resume', run.resumeSessionId);
  if (agent.model) args.push('--model', agent.model);
  if (agent.maxTurns) args.push('--max-turns', String(agent.maxTurns));
  if (agent.allowedTools?.length) args.push('--allowedTools', agent.allowedTools.join(','));
  if (agent.disallowedTools?.length) args.push('--disallowedTools', agent.disallowedTools.join(','));
  if (agent.permissionMode) args.push('--permission-mode', agent.permissionMode);
  for (const dir of run.addDirs) args.push('--add-dir', dir);
  if (agent.appendSystemPrompt) args.push('--append-system-prompt', agent.appendSystemPrompt);
  if (agent.maxBudgetUsd) args.push('--max-budget-usd', String(agent.maxBudgetUsd));
  if (run.outputSchema) args.push('--json-schema', JSON.stringify(run.outputSchema));
  args.push(...configArgs(agent));
  args.push(...agent.extraArgs);
  // Last, after `--`: a prompt starting with "-" (a YAML list, front matter) is not an option.
  args.push('--', run.prompt);
  return args;
}

/**
 * Environment for the agent: the worker's own (so a logged-in claude or ANTHROPIC_API_KEY
 * reaches it), with the CLI's own retries off so Temporal owns retries and backoff.
 */
export function claudeEnv(agent: ClaudeAgentSpec, rehearsalUrl: string | null): Record<string, string> {
  const env: Record<string, string> = {
    CLAUDE_CODE_MAX_RETRIES: '0',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    ...agent.env,
  };
  if (rehearsalUrl) {
    env.ANTHROPIC_BASE_URL = rehearsalUrl;
    env.ANTHROPIC_API_KEY = 'sk-rehearsal-not-a-real-key';
  }
  return env;
}
