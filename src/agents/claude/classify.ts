/**
 * Decide what an attempt's outcome means, from the stream (not the exit code or `subtype`: an
 * API error ends with subtype "success" but is_error true and api_error_status set). Permanent
 * problems are non-retryable; transient ones retry under Temporal's policy.
 */
import { AGENT_ERROR_TYPES, type AgentErrorType } from '../../domain/index.js';
import { failure as agentFailure, processFailure, truncate, type AgentFailure, type ProcessFacts } from '../agent.js';
import type { RateLimitInfo, ResultEvent } from './streamJson.js';

export interface AttemptFacts extends ProcessFacts {
  result: ResultEvent | null;
  /** The last `rate_limit_event` that refused a request, if one did. */
  rejectedBy?: RateLimitInfo | null;
}

export type Classification = { ok: true } | ({ ok: false } & AgentFailure);

function failure(type: AgentErrorType, message: string, nextRetryDelayMs?: number): Classification {
  return { ok: false, ...agentFailure(type, message, nextRetryDelayMs) };
}

/**
 * A subscription's usage window is spent: the CLI (on claude.ai login) reports a refused
 * `rate_limit_event` with the reset time, then the 429. Older CLIs said "usage limit reached|<epoch s>".
 */
function usageLimit(facts: AttemptFacts, text: string): Classification | null {
  const resetsAt = facts.rejectedBy?.resetsAt ?? Number(/usage limit reached\|(\d{9,})/i.exec(text)?.[1] ?? NaN);
  if (!Number.isFinite(resetsAt)) return null;
  const kind = facts.rejectedBy?.rateLimitType ? ` (${facts.rejectedBy.rateLimitType})` : '';
  return {
    ok: false,
    ...agentFailure(AGENT_ERROR_TYPES.usageLimited, `usage limit reached${kind}: ${truncate(text, 200)}`),
    retryAt: resetsAt * 1000,
  };
}

export const INSTALL_HINT =
  'run `npm ci` (it installs @anthropic-ai/claude-code), or set CLAUDE_BIN / --claude-bin / agent.bin';

const TEXT_RULES: readonly [RegExp, AgentErrorType][] = [
  [/credit balance|billing|payment required|insufficient.*(credit|quota)/i, AGENT_ERROR_TYPES.billing],
  [
    /invalid (x-)?api[ -]key|authentication_error|not logged in|please run \/login|oauth token/i,
    AGENT_ERROR_TYPES.auth,
  ],
  [/permission_error|forbidden/i, AGENT_ERROR_TYPES.auth],
  [/not_found_error|model.{0,40}(not found|does not exist)|invalid model/i, AGENT_ERROR_TYPES.modelNotFound],
  [/overloaded/i, AGENT_ERROR_TYPES.overloaded],
  [/rate.?limit|too many requests/i, AGENT_ERROR_TYPES.rateLimited],
  [/invalid_request_error|prompt is too long/i, AGENT_ERROR_TYPES.invalidRequest],
];

function byStatus(status: number, text: string): AgentErrorType {
  if (status === 401 || status === 403) return AGENT_ERROR_TYPES.auth;
  if (status === 408 || status === 409) return AGENT_ERROR_TYPES.apiError;
  if (status === 402) return AGENT_ERROR_TYPES.billing;
  if (status === 404) return AGENT_ERROR_TYPES.modelNotFound;
  if (status === 429) return AGENT_ERROR_TYPES.rateLimited;
  if (status === 529) return AGENT_ERROR_TYPES.overloaded;
  if (status >= 500) return AGENT_ERROR_TYPES.apiError;
  if (/credit balance|billing/i.test(text)) return AGENT_ERROR_TYPES.billing;
  return AGENT_ERROR_TYPES.invalidRequest;
}

/** "retry after 30 seconds" / "retry-after: 30" / "retry after 2 minutes", as milliseconds. */
export function retryAfterMs(text: string): number | undefined {
  const match =
    /retry[- ]after[^0-9]{0,12}(\d+(?:\.\d+)?)\s*(ms|milliseconds?|m|mins?|minutes?|s|secs?|seconds?)?\b/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2]?.toLowerCase() ?? 's';
  if (unit === 'ms' || unit.startsWith('milli')) return value;
  if (unit.startsWith('m')) return value * 60_000;
  return value * 1000;
}

export function classifyAttempt(facts: AttemptFacts): Classification {
  const result = facts.result;
  // A successful final line stands even if the agent then lingered and had to be stopped.
  if (!facts.spawnError && result && !result.is_error && result.subtype === 'success') return { ok: true };
  const common = facts.spawnError || !result ? processFailure(facts, INSTALL_HINT) : null;
  if (common) return { ok: false, ...common };

  if (!result) {
    const how = facts.signal ? `was killed by ${facts.signal}` : `exited with code ${facts.exitCode}`;
    const stderr = lastLine(facts.stderrTail);
    const rule = stderr ? TEXT_RULES.find(([re]) => re.test(stderr)) : undefined;
    const message = `the agent ${how} without a result${stderr ? `: ${stderr}` : ''}`;
    return failure(rule?.[1] ?? AGENT_ERROR_TYPES.noResult, message);
  }

  const text = result.result ?? '';
  const detail = text ? `: ${truncate(text, 300)}` : '';
  if (result.api_error_status === 429 || /usage limit reached\|/i.test(text)) {
    const limited = usageLimit(facts, text);
    if (limited) return limited;
  }
  if (result.api_error_status) {
    const type = byStatus(result.api_error_status, text);
    return failure(type, `API error ${result.api_error_status}${detail}`, retryAfterMs(text));
  }
  if (result.subtype === 'error_max_turns')
    return failure(AGENT_ERROR_TYPES.maxTurns, `reached the turn limit (${result.num_turns ?? '?'} turns)`);
  if (result.subtype === 'error_max_budget_usd')
    return failure(AGENT_ERROR_TYPES.budget, `reached the per-unit budget${detail}`);
  const rule = TEXT_RULES.find(([re]) => re.test(text));
  if (rule) return failure(rule[1], `${result.subtype}${detail}`, retryAfterMs(text));
  return failure(AGENT_ERROR_TYPES.failed, `the agent reported an error (${result.subtype})${detail}`);
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return truncate(lines[lines.length - 1] ?? '', 300);
}
