/**
 * Run one agent process: stdin closed, stdout read line by line as it arrives, a tail of stderr
 * kept, and the whole process group killed on cancellation or when the agent goes silent. The
 * agent gets its own process group so tools it spawned (Bash) die with it.
 */
import { execa, type ResultPromise } from 'execa';

export interface AgentProcessOptions {
  bin: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Aborting kills the agent (Temporal cancellation, worker shutdown). */
  signal: AbortSignal;
  /** Kill the agent when it writes nothing for this long. */
  idleTimeoutMs: number;
  /** Called with the complete stdout lines of each chunk, in order; the next chunk waits for it. */
  onLines: (lines: string[]) => Promise<void>;
}

export interface AgentProcessOutcome {
  exitCode: number | null;
  signal: string | null;
  killedBy: 'idle' | 'cancel' | null;
  spawnError: { code?: string; message: string } | null;
  stderrTail: string;
  durationMs: number;
}

const STDERR_TAIL_BYTES = 4096;
const KILL_GRACE_MS = 3000;

export async function runAgentProcess(options: AgentProcessOptions): Promise<AgentProcessOutcome> {
  const started = performance.now();
  let killedBy: AgentProcessOutcome['killedBy'] = null;
  let stderrTail = '';

  const child: ResultPromise<{ stdin: 'ignore'; buffer: false; reject: false; detached: true }> = execa(
    options.bin,
    options.args,
    {
      cwd: options.cwd,
      env: options.env,
      extendEnv: true,
      stdin: 'ignore',
      buffer: false,
      reject: false,
      detached: true,
      stripFinalNewline: false,
    },
  );

  const killGroup = (reason: 'idle' | 'cancel'): void => {
    if (killedBy || child.pid === undefined || child.exitCode !== null) return;
    killedBy = reason;
    signalGroup(child.pid, 'SIGTERM');
    setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS).unref();
  };

  let idleTimer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => killGroup('idle'), options.idleTimeoutMs);
  };
  const onAbort = (): void => killGroup('cancel');
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });
  touch();

  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  });

  try {
    if (child.stdout) {
      let pending = '';
      for await (const chunk of child.stdout) {
        touch();
        pending += (chunk as Buffer).toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop()!;
        if (lines.length > 0) await options.onLines(lines);
      }
      if (pending.trim()) await options.onLines([pending]);
    }
    const result = await child;
    const spawnError = spawnErrorOf(result);
    return {
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      killedBy,
      spawnError,
      stderrTail,
      durationMs: performance.now() - started,
    };
  } finally {
    clearTimeout(idleTimer);
    options.signal.removeEventListener('abort', onAbort);
    // Whatever happened, leave no agent (or tool it started) behind.
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function spawnErrorOf(result: { failed: boolean; code?: string; originalMessage?: string; exitCode?: number }): AgentProcessOutcome['spawnError'] {
  if (result.exitCode !== undefined || !result.failed) return null;
  return { code: result.code, message: result.originalMessage ?? 'spawn failed' };
}
