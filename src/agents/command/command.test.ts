/** The command adapter with real processes: arguments rendered, stdin, results, exit codes. */
import { describe, expect, it } from '@jest/globals';
import { runAgentProcess } from '../process.js';
import { commandAgent, MAX_RESULT_BYTES } from './command.js';

async function run(command: string[], over: Record<string, unknown> = {}, prompt = 'the prompt') {
  const spec = commandAgent.schema.parse({ type: 'command', command, ...over });
  const render = (t: string) => t.replaceAll('{{_key}}', 'unit-7');
  const { invocation, parser } = commandAgent.start(
    spec,
    { prompt, render, unitDirectory: null, resumeSessionId: null, rehearsalUrl: null },
    {},
  );
  const events: { type: string; data: unknown }[] = [];
  const outcome = await runAgentProcess({
    ...invocation,
    cwd: process.cwd(),
    signal: new AbortController().signal,
    idleTimeoutMs: 10_000,
    onStdout: async (lines) => {
      events.push(...parser.stdout(lines));
      return parser.finished();
    },
    onStderr: (lines) => events.push(...parser.stderr!(lines)),
  });
  return { invocation, events, verdict: parser.verdict({ ...outcome, bin: invocation.bin, idleTimeoutSeconds: 10 }) };
}

describe('command agent', () => {
  it('renders each argument, runs no shell, and takes stdout as the result', async () => {
    const { invocation, verdict, events } = await run(
      ['node', '-e', 'console.log(process.argv[1]); console.error("note")', '{{_key}} $HOME;'],
      {},
    );
    expect(invocation.args).toEqual(['-e', 'console.log(process.argv[1]); console.error("note")', 'unit-7 $HOME;']);
    expect(verdict.failure).toBeNull();
    expect(verdict.result).toBe('unit-7 $HOME;');
    expect(events).toEqual(
      expect.arrayContaining([
        { type: 'stdout', data: { text: 'unit-7 $HOME;' } },
        { type: 'stderr', data: { text: 'note' } },
      ]),
    );
  });

  it('writes the prompt to stdin when asked', async () => {
    const { verdict } = await run(['sh', '-c', 'tr a-z A-Z'], { stdin: 'prompt' }, 'fix unit 7');
    expect(verdict.result).toBe('FIX UNIT 7');
  });

  it('fails on a non-zero exit, retryably unless the code is listed', async () => {
    const retryable = await run(['sh', '-c', 'echo partial; echo "disk full" >&2; exit 3']);
    expect(retryable.verdict.failure).toEqual({
      type: 'AgentFailed',
      retryable: true,
      message: 'sh exited with code 3: disk full',
      nextRetryDelayMs: undefined,
    });
    const permanent = await run(['sh', '-c', 'exit 4'], { nonRetryableExitCodes: [4] });
    expect(permanent.verdict.failure).toMatchObject({ type: 'AgentExitNonRetryable', retryable: false });
  });

  it('keeps at most 1 MiB of stdout', async () => {
    const { verdict } = await run(['node', '-e', `process.stdout.write('é'.repeat(${MAX_RESULT_BYTES}))`]);
    expect(Buffer.byteLength(verdict.result!)).toBeLessThanOrEqual(MAX_RESULT_BYTES);
    expect(verdict.result!.length).toBe(MAX_RESULT_BYTES / 2);
  });

  it('reports a program that does not exist as a missing binary, not worth retrying', async () => {
    const { verdict } = await run(['/nonexistent/fixer', 'x']);
    expect(verdict.failure).toMatchObject({ type: 'AgentBinaryMissing', retryable: false });
  });
});
