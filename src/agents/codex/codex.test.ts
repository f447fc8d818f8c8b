/** The codex adapter over transcripts captured from the real codex-cli 0.169.0 (test/fixtures/codex/). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { ProcessFacts } from '../agent.js';
import { retryDelayMs } from './classify.js';
import { codexAgent, type CodexAgentSpec } from './codex.js';

const DIR = fileURLToPath(new URL('../../../test/fixtures/codex/', import.meta.url));

function spec(over: Record<string, unknown> = {}): CodexAgentSpec {
  return codexAgent.schema.parse({ type: 'codex', ...over });
}

const facts = (over: Partial<ProcessFacts> = {}): ProcessFacts => ({
  exitCode: 1,
  signal: null,
  killedBy: null,
  spawnError: null,
  stderrTail: '',
  durationMs: 500,
  bin: '/x/codex',
  idleTimeoutSeconds: 300,
  ...over,
});

/** Feed a captured transcript through a fresh parser, as the activity does, and judge it. */
function replay(name: string, s = spec(), over: Partial<ProcessFacts> = {}, extraLines: string[] = []) {
  const { parser } = codexAgent.start(
    s,
    { prompt: 'p', render: (t) => t, unitDirectory: null, resumeSessionId: null, rehearsalUrl: null },
    {},
  );
  const events = parser.stdout([...extraLines, ...readFileSync(`${DIR}${name}.jsonl`, 'utf8').split('\n')]);
  return { events, finished: parser.finished(), verdict: parser.verdict(facts(over)) };
}

describe('codex invocation', () => {
  it('runs exec --json with least privilege, none of its user’s config, no endless reconnects, and the prompt after --', () => {
    const { invocation } = codexAgent.start(
      spec({ model: 'gpt-5.5' }),
      { prompt: '-x', render: (t) => t, unitDirectory: null, resumeSessionId: null, rehearsalUrl: null },
      { CODEX_BIN: '/opt/codex' },
    );
    expect(invocation.bin).toBe('/opt/codex');
    expect(invocation.args).toEqual([
      'exec',
      '--json',
      '--skip-git-repo-check',
      '--sandbox',
      'read-only',
      '--disable',
      'unbounded_connection_retries',
      '--model',
      'gpt-5.5',
      '--ignore-user-config',
      '--ignore-rules',
      '--',
      '-x',
    ]);
    expect(invocation.stdin).toBeNull();
  });

  it('rehearses through its own provider with retries off, and resumes a thread', () => {
    const { invocation } = codexAgent.start(
      spec({ rehearse: true }),
      {
        prompt: 'p',
        render: (t) => t,
        unitDirectory: null,
        resumeSessionId: 'th-1',
        rehearsalUrl: 'http://127.0.0.1:9',
      },
      {},
    );
    expect(invocation.args).toContain('model_provider=agentic_batch_rehearsal');
    expect(invocation.args.join(' ')).toMatch(
      /base_url="http:\/\/127\.0\.0\.1:9\/v1".*request_max_retries=0, stream_max_retries=0/,
    );
    expect(invocation.args.slice(-4)).toEqual(['resume', 'th-1', '--', 'p']);
    expect(invocation.env.AGENTIC_BATCH_REHEARSAL_KEY).toMatch(/^sk-rehearsal/);
    expect(invocation.env.CODEX_HOME).toMatch(/\/agentic-batch-\w{6}\/codex-rehearsal$/);
  });
});

describe('codex verdicts over captured transcripts', () => {
  it('a text answer succeeds with the last agent message and the thread id', () => {
    const { verdict, finished } = replay('a_text', spec({ pricing: { input: 2, cachedInput: 0.5, output: 8 } }), {
      exitCode: 0,
    });
    expect(finished).toBe(true);
    expect(verdict.failure).toBeNull();
    expect(verdict.result).toBe('Hello from the scripted server.');
    expect(verdict.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(verdict.costUsd).toBeGreaterThan(0);
  });

  it('a patch counts as a file change, a command as a command', () => {
    expect(replay('o_apply_patch_workspace_write', spec(), { exitCode: 0 }).verdict.toolsUsed).toEqual(['file_change']);
    expect(replay('b_tool_workspace_write', spec(), { exitCode: 0 }).verdict.toolsUsed).toEqual(['command']);
  });

  it('costs nothing without pricing: codex reports tokens, not dollars', () => {
    expect(replay('a_text', spec(), { exitCode: 0 }).verdict.costUsd).toBe(0);
  });

  it('keeps a warning item and a non-JSON line as events without failing', () => {
    const { events, verdict } = replay('a_text_unknown_model_gpt-5', spec(), { exitCode: 0 }, [
      'Reading additional input…',
    ]);
    expect(events.some((e) => e.subtype === 'error')).toBe(true);
    expect(events[0]).toMatchObject({ type: 'text', data: { text: 'Reading additional input…' } });
    expect(verdict.failure).toBeNull();
    expect(verdict.result).not.toBeNull();
  });

  it.each([
    ['c_401_noretry', 'AgentAuthError', false],
    ['c_429_noretry', 'AgentRateLimited', true],
    ['f_failed_rl_noretry', 'AgentRateLimited', true],
    ['f_429usage_noretry', 'AgentRateLimited', true],
    ['c_429quota_noretry', 'AgentBillingError', false],
    ['c_500_noretry', 'AgentApiError', true],
    ['c_503_noretry', 'AgentOverloaded', true],
    ['c_400_noretry', 'AgentInvalidRequest', false],
    ['f_failed_ctx_noretry', 'AgentInvalidRequest', false],
    ['f_failed_noretry', 'AgentApiError', true],
    ['f_cut_noretry', 'AgentApiError', true],
    ['f_nocompleted_noretry', 'AgentApiError', true],
    ['f_incomplete_noretry', 'AgentFailed', true],
  ] as const)('%s fails as %s (retryable: %s)', (name, type, retryable) => {
    const { verdict } = replay(name);
    expect(verdict.failure).toMatchObject({ type, retryable });
    expect(verdict.failure!.message).not.toMatch(/, url: /);
  });

  it('an agent message followed by a failed turn is a failure, not a success', () => {
    const { verdict } = replay('f_incomplete_noretry');
    expect(verdict.result).toBe('partial answ');
    expect(verdict.failure?.message).toBe('Incomplete response returned, reason: max_output_tokens');
  });

  it('uses the delay the error names', () => {
    expect(replay('f_failed_rl_noretry').verdict.failure?.nextRetryDelayMs).toBe(1500);
  });

  it('without a finished turn: a missing binary, a silent agent, or a crash with its stderr', () => {
    const parse = () =>
      codexAgent.start(
        spec(),
        { prompt: 'p', render: (t) => t, unitDirectory: null, resumeSessionId: null, rehearsalUrl: null },
        {},
      ).parser;
    expect(parse().verdict(facts({ spawnError: { code: 'ENOENT', message: 'x' } })).failure).toMatchObject({
      type: 'AgentBinaryMissing',
      retryable: false,
    });
    expect(parse().verdict(facts({ killedBy: 'idle' })).failure).toMatchObject({ type: 'AgentIdle', retryable: true });
    const crash = parse().verdict(
      facts({ stderrTail: 'WARNING: noise\nError: thread/resume failed: no rollout found\n' }),
    );
    expect(crash.failure).toMatchObject({
      type: 'AgentNoResult',
      message: 'codex exited with code 1 without finishing its turn: Error: thread/resume failed: no rollout found',
    });
  });
});

describe('retryDelayMs', () => {
  it('reads "try again in" and "try again at"', () => {
    expect(retryDelayMs('Please try again in 1.5s.')).toBe(1500);
    expect(retryDelayMs('try again in 2 minutes')).toBe(120_000);
    const now = new Date(2026, 10, 23, 20, 0, 0);
    expect(retryDelayMs('or try again at 9:24 PM.', now)).toBe((60 + 24) * 60_000);
    expect(retryDelayMs('or try again at 7:00 PM.', now)).toBe(23 * 3_600_000);
    expect(retryDelayMs('no hint here')).toBeUndefined();
  });
});
