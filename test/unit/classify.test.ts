import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from '@jest/globals';
import {
  classifyAttempt,
  retryAfterMs,
  type AttemptFacts,
  type Classification,
} from '../../src/agents/claude/classify.js';
import { parseStreamLine, type RateLimitInfo, type ResultEvent } from '../../src/agents/claude/streamJson.js';

const DIR = fileURLToPath(new URL('../fixtures/transcripts/', import.meta.url));

/** The last refused rate-limit event of a transcript, if any. */
function rejectedBy(name: string): RateLimitInfo | null {
  let info: RateLimitInfo | null = null;
  for (const line of readFileSync(`${DIR}${name}`, 'utf8').split('\n')) {
    const event = parseStreamLine(line);
    if (event?.rateLimit?.status === 'rejected') info = event.rateLimit;
  }
  return info;
}

/** Parse a whole transcript the way the activity does and keep the last result event. */
function lastResult(name: string): ResultEvent {
  let result: ResultEvent | null = null;
  for (const line of readFileSync(`${DIR}${name}`, 'utf8').split('\n')) {
    const event = parseStreamLine(line);
    if (event?.result) result = event.result;
  }
  if (!result) throw new Error(`${name} has no result line`);
  return result;
}

function facts(overrides: Partial<AttemptFacts> = {}): AttemptFacts {
  return {
    result: null,
    exitCode: 0,
    signal: null,
    killedBy: null,
    spawnError: null,
    stderrTail: '',
    bin: '/opt/claude/cli.js',
    idleTimeoutSeconds: 300,
    durationMs: 1200,
    ...overrides,
  };
}

function result(overrides: Partial<ResultEvent>): ResultEvent {
  return { type: 'result', subtype: 'success', is_error: true, ...overrides } as ResultEvent;
}

function failed(c: Classification): Extract<Classification, { ok: false }> {
  if (c.ok) throw new Error('expected a failure classification, got ok');
  return c;
}

describe('classifyAttempt over the captured transcripts', () => {
  it.each([
    ['happy.ndjson', 0],
    ['write-tool.ndjson', 0],
    ['api-retry.ndjson', 0],
    ['permission-denied.ndjson', 0],
  ])('%s is a success', (name, exitCode) => {
    expect(classifyAttempt(facts({ result: lastResult(name), exitCode }))).toEqual({ ok: true });
  });

  it.each([
    ['error-401.ndjson', 'AgentAuthError', false, /API error 401: Invalid API key/],
    ['error-429.ndjson', 'AgentRateLimited', true, /API error 429/],
    ['error-529.ndjson', 'AgentOverloaded', true, /API error 529/],
    ['max-turns.ndjson', 'AgentMaxTurns', false, /turn limit \(2 turns\)/],
  ] as const)('%s is %s (retryable: %s)', (name, type, retryable, message) => {
    // The CLI exits 1 on these; the verdict must come from the stream, not the exit code.
    const verdict = failed(classifyAttempt(facts({ result: lastResult(name), exitCode: 1 })));
    expect(verdict.type).toBe(type);
    expect(verdict.retryable).toBe(retryable);
    expect(verdict.message).toMatch(message);
  });

  it('usage-limit.ndjson (a claude.ai login whose 5-hour window is spent) is AgentUsageLimited until its reset', () => {
    // Captured from the real CLI: a 429 with anthropic-ratelimit-unified-* headers, reset 30 s ahead.
    const info = rejectedBy('usage-limit.ndjson');
    expect(info).toMatchObject({ status: 'rejected', rateLimitType: 'five_hour' });
    const verdict = failed(
      classifyAttempt(facts({ result: lastResult('usage-limit.ndjson'), rejectedBy: info, exitCode: 1 })),
    );
    expect(verdict.type).toBe('AgentUsageLimited');
    expect(verdict.retryable).toBe(true);
    expect(verdict.retryAt).toBe(info!.resetsAt! * 1000);
    expect(verdict.message).toMatch(/usage limit reached \(five_hour\): You've hit your 5-hour limit/);
  });

  it('a 429 without a usage window is a rate limit, and the legacy "usage limit reached|epoch" text a usage limit', () => {
    const limited = failed(classifyAttempt(facts({ result: lastResult('usage-limit.ndjson'), exitCode: 1 })));
    expect(limited.type).toBe('AgentRateLimited');
    const legacy = failed(
      classifyAttempt(facts({ result: result({ result: 'Claude AI usage limit reached|1767225600' }), exitCode: 1 })),
    );
    expect(legacy).toMatchObject({ type: 'AgentUsageLimited', retryAt: 1767225600_000 });
  });

  it('the API-error transcripts end with subtype "success": is_error is what counts', () => {
    for (const name of ['error-401.ndjson', 'error-429.ndjson', 'error-529.ndjson']) {
      expect(lastResult(name)).toMatchObject({ subtype: 'success', is_error: true });
    }
  });
});

describe('classifyAttempt on synthetic facts', () => {
  it('a missing binary (ENOENT) is AgentBinaryMissing, non-retryable, naming the binary with a hint', () => {
    const verdict = failed(
      classifyAttempt(facts({ spawnError: { code: 'ENOENT', message: 'spawn claude ENOENT' }, exitCode: null })),
    );
    expect(verdict.type).toBe('AgentBinaryMissing');
    expect(verdict.retryable).toBe(false);
    expect(verdict.message).toContain('/opt/claude/cli.js');
    expect(verdict.message).toContain('ENOENT');
    expect(verdict.message).toMatch(/it installs @anthropic-ai\/claude-code\), or set CLAUDE_BIN/);
  });

  it('a binary that is not executable (EACCES) is also AgentBinaryMissing', () => {
    const verdict = failed(classifyAttempt(facts({ spawnError: { code: 'EACCES', message: 'spawn EACCES' } })));
    expect(verdict.type).toBe('AgentBinaryMissing');
    expect(verdict.retryable).toBe(false);
  });

  it('another spawn error is a retryable AgentFailed carrying its message', () => {
    const verdict = failed(classifyAttempt(facts({ spawnError: { code: 'EMFILE', message: 'too many open files' } })));
    expect(verdict.type).toBe('AgentFailed');
    expect(verdict.retryable).toBe(true);
    expect(verdict.message).toContain('too many open files');
  });

  it('a spawn error wins over anything else in the facts', () => {
    const verdict = failed(
      classifyAttempt(
        facts({ spawnError: { code: 'ENOENT', message: 'x' }, killedBy: 'idle', result: result({ is_error: false }) }),
      ),
    );
    expect(verdict.type).toBe('AgentBinaryMissing');
  });

  it('an agent we killed for being idle is AgentIdle, retryable, naming the timeout', () => {
    const verdict = failed(
      classifyAttempt(facts({ killedBy: 'idle', idleTimeoutSeconds: 42, signal: 'SIGTERM', exitCode: null })),
    );
    expect(verdict.type).toBe('AgentIdle');
    expect(verdict.retryable).toBe(true);
    expect(verdict.message).toContain('42s');
  });

  it('no result line and exit 143 is AgentNoResult, retryable, mentioning the exit code', () => {
    const verdict = failed(classifyAttempt(facts({ exitCode: 143 })));
    expect(verdict.type).toBe('AgentNoResult');
    expect(verdict.retryable).toBe(true);
    expect(verdict.message).toMatch(/exited with code 143/);
  });

  it('no result line after a signal names the signal', () => {
    const verdict = failed(classifyAttempt(facts({ exitCode: null, signal: 'SIGKILL' })));
    expect(verdict.type).toBe('AgentNoResult');
    expect(verdict.message).toMatch(/killed by SIGKILL/);
  });

  it('no result line: the last stderr line is quoted and classified', () => {
    const verdict = failed(
      classifyAttempt(
        facts({ exitCode: 1, stderrTail: 'starting\nsome noise\nError: Invalid API key · Please run /login\n\n' }),
      ),
    );
    expect(verdict.type).toBe('AgentAuthError');
    expect(verdict.retryable).toBe(false);
    expect(verdict.message).toContain('Invalid API key');
    expect(verdict.message).not.toContain('some noise');
  });

  it('no result line with unrecognised stderr stays AgentNoResult', () => {
    const verdict = failed(classifyAttempt(facts({ exitCode: 1, stderrTail: 'Segmentation fault\n' })));
    expect(verdict.type).toBe('AgentNoResult');
    expect(verdict.message).toContain('Segmentation fault');
  });

  it.each([
    [401, 'AgentAuthError', false],
    [403, 'AgentAuthError', false],
    [402, 'AgentBillingError', false],
    [404, 'AgentModelNotFound', false],
    [400, 'AgentInvalidRequest', false],
    [413, 'AgentInvalidRequest', false],
    [429, 'AgentRateLimited', true],
    [500, 'AgentApiError', true],
    [503, 'AgentApiError', true],
    [529, 'AgentOverloaded', true],
  ] as const)('api_error_status %d is %s (retryable: %s)', (status, type, retryable) => {
    const verdict = failed(
      classifyAttempt(
        facts({ exitCode: 1, result: result({ api_error_status: status, result: `API Error: ${status}` }) }),
      ),
    );
    expect(verdict.type).toBe(type);
    expect(verdict.retryable).toBe(retryable);
    expect(verdict.message).toContain(`API error ${status}`);
  });

  it('a 400 whose text is about billing is AgentBillingError', () => {
    const verdict = failed(
      classifyAttempt(
        facts({
          result: result({
            api_error_status: 400,
            result: 'Your credit balance is too low to access the Anthropic API.',
          }),
        }),
      ),
    );
    expect(verdict.type).toBe('AgentBillingError');
    expect(verdict.retryable).toBe(false);
  });

  it('a billing text without a status is AgentBillingError, non-retryable', () => {
    const verdict = failed(classifyAttempt(facts({ result: result({ result: 'Credit balance is too low' }) })));
    expect(verdict.type).toBe('AgentBillingError');
    expect(verdict.retryable).toBe(false);
    expect(verdict.message).toContain('Credit balance is too low');
  });

  it.each([
    ['Invalid API key · Please run /login', 'AgentAuthError', false],
    ['permission_error: forbidden', 'AgentAuthError', false],
    ['model: claude-nope does not exist', 'AgentModelNotFound', false],
    ['Prompt is too long', 'AgentInvalidRequest', false],
    ['Overloaded', 'AgentOverloaded', true],
    ['Rate limit reached, retry after 12 seconds', 'AgentRateLimited', true],
  ] as const)('an error text without a status, "%s", is %s', (text, type, retryable) => {
    const verdict = failed(
      classifyAttempt(facts({ result: result({ subtype: 'error_during_execution', result: text }) })),
    );
    expect(verdict.type).toBe(type);
    expect(verdict.retryable).toBe(retryable);
  });

  it('an error with an unrecognised text is a retryable AgentFailed naming the subtype', () => {
    const verdict = failed(
      classifyAttempt(facts({ result: result({ subtype: 'error_during_execution', result: 'something odd' }) })),
    );
    expect(verdict.type).toBe('AgentFailed');
    expect(verdict.retryable).toBe(true);
    expect(verdict.message).toContain('error_during_execution');
    expect(verdict.message).toContain('something odd');
  });

  it('the per-unit budget is AgentBudgetExceeded, non-retryable', () => {
    const verdict = failed(classifyAttempt(facts({ result: result({ subtype: 'error_max_budget_usd' }) })));
    expect(verdict.type).toBe('AgentBudgetExceeded');
    expect(verdict.retryable).toBe(false);
  });

  it('a success subtype that is not flagged as an error is ok, whatever the exit code', () => {
    expect(classifyAttempt(facts({ exitCode: 1, result: result({ is_error: false }) }))).toEqual({ ok: true });
  });

  it('a long error text is truncated in the message', () => {
    const verdict = failed(
      classifyAttempt(facts({ result: result({ api_error_status: 500, result: 'x'.repeat(5000) }) })),
    );
    expect(verdict.message.length).toBeLessThan(400);
    expect(verdict.message.endsWith('…')).toBe(true);
  });

  it('a 429 that says when to retry carries nextRetryDelayMs', () => {
    const verdict = failed(
      classifyAttempt(
        facts({ result: result({ api_error_status: 429, result: 'rate limited; retry after 30 seconds' }) }),
      ),
    );
    expect(verdict.nextRetryDelayMs).toBe(30_000);
  });

  it('a 429 that does not say when to retry leaves the delay to the retry policy', () => {
    const verdict = failed(classifyAttempt(facts({ result: lastResult('error-429.ndjson') })));
    expect(verdict.nextRetryDelayMs).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  it.each([
    ['retry after 30 seconds', 30_000],
    ['Please retry after 30s', 30_000],
    ['Retry-After: 30', 30_000],
    ['retry-after: 1.5 sec', 1_500],
    ['retry after 250ms', 250],
    ['retry after 100 milliseconds', 100],
    ['retry after 2 minutes', 120_000],
    ['retry after 1 min', 60_000],
  ])('"%s" → %d ms', (text, ms) => {
    expect(retryAfterMs(text)).toBe(ms);
  });

  it.each(['rate limited', 'try again in a moment', ''])('"%s" says nothing about when to retry', (text) => {
    expect(retryAfterMs(text)).toBeUndefined();
  });
});
