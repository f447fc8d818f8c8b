/**
 * What a failed codex turn means. Codex exits 1 on every failure and drops its structured error
 * codes from the JSONL, so the verdict comes from the `turn.failed` message, worded as codex
 * 0.169.0 words it (captured in test/fixtures/codex/).
 */
import { AGENT_ERROR_TYPES, type AgentErrorType } from '../../domain/index.js';
import { failure, truncate, type AgentFailure } from '../agent.js';

const RULES: readonly [RegExp, AgentErrorType][] = [
  [
    /unexpected status 40[13]|invalid_api_key|incorrect api key|missing environment variable|not logged in/i,
    AGENT_ERROR_TYPES.auth,
  ],
  [/quota exceeded|billing/i, AGENT_ERROR_TYPES.billing],
  [/usage limit/i, AGENT_ERROR_TYPES.rateLimited],
  [/unexpected status 404|model_not_found|model .{0,60}does not exist/i, AGENT_ERROR_TYPES.modelNotFound],
  [/at capacity|overloaded/i, AGENT_ERROR_TYPES.overloaded],
  [/429|rate limit/i, AGENT_ERROR_TYPES.rateLimited],
  [/context window|invalid_request_error|unexpected status 400/i, AGENT_ERROR_TYPES.invalidRequest],
  [
    /high demand|unexpected status 5\d\d|stream disconnected|connection failed|idle timeout/i,
    AGENT_ERROR_TYPES.apiError,
  ],
];

export function classifyCodexFailure(message: string): AgentFailure {
  const type = RULES.find(([re]) => re.test(message))?.[1] ?? AGENT_ERROR_TYPES.failed;
  return failure(type, truncate(message.replace(/, url: \S+$/, ''), 400), retryDelayMs(message));
}

/** "Please try again in 1.5s" / "try again in 20 seconds" / "try again at 9:24 PM", as milliseconds. */
export function retryDelayMs(message: string, now = new Date()): number | undefined {
  const relative = /try again in (\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?|m|min|minutes?)\b/i.exec(message);
  if (relative) {
    const value = Number(relative[1]);
    const unit = relative[2]!.toLowerCase();
    return unit === 'ms' ? value : unit.startsWith('m') ? value * 60_000 : value * 1000;
  }
  const at = /try again at (\d{1,2}):(\d{2})\s*(AM|PM)?/i.exec(message);
  if (!at) return undefined;
  const meridiem = at[3]?.toUpperCase();
  const hours = meridiem ? (Number(at[1]) % 12) + (meridiem === 'PM' ? 12 : 0) : Number(at[1]);
  const when = new Date(now);
  when.setHours(hours, Number(at[2]), 0, 0);
  if (when <= now) when.setDate(when.getDate() + 1);
  return when.getTime() - now.getTime();
}
