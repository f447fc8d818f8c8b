/** The agent process runner, with real processes (small shell and node scripts). */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { runAgentProcess, type AgentProcessOptions } from '../../src/agents/process.js';

function run(script: string[], options: Partial<AgentProcessOptions> = {}) {
  const lines: string[] = [];
  const outcome = runAgentProcess({
    bin: script[0]!,
    args: script.slice(1),
    cwd: process.cwd(),
    env: {},
    signal: new AbortController().signal,
    idleTimeoutMs: 10_000,
    onStdout: async (chunk) => {
      lines.push(...chunk);
      return false;
    },
    ...options,
  });
  return { lines, outcome };
}

/** Running, as opposed to gone or a zombie waiting to be reaped (Linux /proc). */
async function alive(pid: number): Promise<boolean> {
  await new Promise((r) => setTimeout(r, 100)); // signals are delivered asynchronously
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

describe('runAgentProcess', () => {
  it('delivers every line in order, including a last one without a newline', async () => {
    const { lines, outcome } = run(['sh', '-c', "printf 'one\\ntwo\\n'; sleep 0.1; printf 'three'"]);
    const done = await outcome;
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(done).toMatchObject({ exitCode: 0, killedBy: null, spawnError: null });
  });

  it('keeps a character split across two chunks intact', async () => {
    const script =
      'process.stdout.write(Buffer.from([0x7b, 0x22, 0xc3])); setTimeout(() => process.stdout.write(Buffer.from([0xa9, 0x22, 0x7d, 0x0a])), 100);';
    const { lines, outcome } = run([process.execPath, '-e', script]);
    await outcome;
    expect(lines).toEqual(['{"é"}']);
  });

  it('keeps the tail of stderr', async () => {
    const { outcome } = run(['sh', '-c', 'echo boom >&2; exit 3']);
    expect(await outcome).toMatchObject({ exitCode: 3, stderrTail: 'boom\n' });
  });

  it('reports a missing binary as ENOENT without running anything', async () => {
    const { outcome } = run(['/nonexistent/agent']);
    expect((await outcome).spawnError).toEqual({ code: 'ENOENT', message: '/nonexistent/agent not found' });
  });

  it('kills a silent agent and the tools it started', async () => {
    const { lines, outcome } = run(['sh', '-c', 'sleep 30 & echo $!; wait'], { idleTimeoutMs: 300 });
    const done = await outcome;
    expect(done.killedBy).toBe('idle');
    const toolPid = Number(lines[0]);
    expect(toolPid).toBeGreaterThan(0);
    expect(await alive(toolPid)).toBe(false);
  });

  it('kills the agent on cancellation', async () => {
    const controller = new AbortController();
    const { outcome } = run(['sleep', '30'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    expect((await outcome).killedBy).toBe('cancel');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('stops an agent that lingers after its final line', async () => {
    const lines: string[] = [];
    const done = await runAgentProcess({
      bin: 'sh',
      args: ['-c', 'echo final; sleep 30'],
      cwd: process.cwd(),
      env: {},
      signal: new AbortController().signal,
      idleTimeoutMs: 60_000,
      exitGraceMs: 300,
      onStdout: async (chunk) => {
        lines.push(...chunk);
        return chunk.includes('final');
      },
    });
    expect(lines).toEqual(['final']);
    expect(done.killedBy).toBe('idle');
    expect(done.durationMs).toBeLessThan(10_000);
  });

  it('kills what the agent left behind even when it exited normally', async () => {
    const { lines, outcome } = run(['sh', '-c', 'sleep 30 >/dev/null 2>&1 & echo $!']);
    const done = await outcome;
    expect(done.exitCode).toBe(0);
    expect(await alive(Number(lines[0]))).toBe(false);
  });
});

describe('runAgentProcess input and stderr', () => {
  it('writes stdin, then closes it', async () => {
    const { lines, outcome } = run(['sh', '-c', 'cat; echo "[eof]"'], { stdin: 'héllo\nworld' });
    await outcome;
    expect(lines).toEqual(['héllo', 'world[eof]']);
  });

  it('hands on stderr lines in order, the last one even without a newline', async () => {
    const errLines: string[] = [];
    const { outcome } = run(['sh', '-c', "printf 'e1\\ne2\\n' >&2; sleep 0.1; printf 'e3' >&2"], {
      onStderr: (chunk) => errLines.push(...chunk),
    });
    await outcome;
    expect(errLines).toEqual(['e1', 'e2', 'e3']);
  });

  it('does not fail when the agent exits without reading its stdin', async () => {
    const { outcome } = run(['sh', '-c', 'exit 0'], { stdin: 'x'.repeat(1024 * 1024) });
    expect(await outcome).toMatchObject({ exitCode: 0, spawnError: null });
  });
});
