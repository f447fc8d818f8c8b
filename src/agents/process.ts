/**
 * Run one agent process: stdin written (or closed), stdout read line by line as it arrives, a
 * tail of stderr kept (and its lines handed on, when asked). The agent gets its own process group, so the tools it spawned (Bash) can be killed with
 * it: on cancellation, when it goes silent, when it lingers after its final line, and always at
 * the end. On Linux it also dies with the worker (parent-death signal), so a crashed worker
 * leaves no agent running while Temporal retries the unit elsewhere.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export interface AgentProcessOptions {
  bin: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Written to stdin, which is then closed; null closes it at once. */
  stdin?: string | null;
  /** Aborting kills the agent (Temporal cancellation, worker shutdown). */
  signal: AbortSignal;
  /** Kill the agent when it writes nothing for this long. */
  idleTimeoutMs: number;
  /**
   * Called with the complete stdout lines of each chunk, in order; the next chunk waits for it.
   * Returning true says the agent's final line has arrived: it then gets a short grace to exit.
   */
  onStdout: (lines: string[]) => Promise<boolean>;
  /** Called with the complete stderr lines of each chunk, when given. */
  onStderr?: (lines: string[]) => void;
  /** How long an agent may linger after its final line (default 10 s). */
  exitGraceMs?: number;
}

export interface AgentProcessOutcome {
  exitCode: number | null;
  signal: string | null;
  killedBy: 'idle' | 'cancel' | null;
  spawnError: { code?: string; message: string } | null;
  stderrTail: string;
  durationMs: number;
}

const STDERR_TAIL_CHARS = 4096;
const KILL_GRACE_MS = 3000;
/** After its final line an agent should exit; one that lingers (e.g. on a child) is stopped. */
const EXIT_GRACE_MS = 10_000;
const SETPRIV = '/usr/bin/setpriv';

export async function runAgentProcess(options: AgentProcessOptions): Promise<AgentProcessOutcome> {
  const started = performance.now();
  let killedBy: AgentProcessOutcome['killedBy'] = null;
  let stderrTail = '';

  const bin = findExecutable(options.bin, options.env.PATH ?? process.env.PATH ?? '');
  if (!bin) {
    const spawnError = { code: 'ENOENT', message: `${options.bin} not found` };
    return { exitCode: null, signal: null, killedBy, spawnError, stderrTail, durationMs: 0 };
  }
  const [file, args] =
    process.platform === 'linux' && existsSync(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', bin, ...options.args]]
      : [bin, [...options.args]];
  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    stdin: options.stdin == null ? 'ignore' : 'pipe',
    buffer: false,
    reject: false,
    detached: true,
  });

  const killGroup = (reason: 'idle' | 'cancel'): void => {
    if (killedBy || child.pid === undefined) return;
    killedBy = reason;
    signalGroup(child.pid, 'SIGTERM');
    setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS).unref();
  };

  let idleTimer: NodeJS.Timeout | undefined;
  let quietLimitMs = options.idleTimeoutMs;
  const touch = (): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => killGroup('idle'), quietLimitMs);
  };
  const onAbort = (): void => killGroup('cancel');
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });
  touch();

  // An agent that exits without reading its input must not fail the attempt with EPIPE.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(options.stdin);

  // Decode as a stream, so a character split between two chunks is not mangled.
  child.stderr?.setEncoding('utf8');
  let stderrPending = '';
  child.stderr?.on('data', (chunk: string) => {
    touch();
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    if (!options.onStderr) return;
    const lines = (stderrPending + chunk).split('\n');
    stderrPending = lines.pop()!;
    if (lines.length > 0) options.onStderr(lines);
  });

  try {
    if (child.stdout) {
      child.stdout.setEncoding('utf8');
      let pending = '';
      for await (const chunk of child.stdout as AsyncIterable<string>) {
        touch();
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        if (lines.length > 0 && (await options.onStdout(lines))) {
          quietLimitMs = Math.min(quietLimitMs, options.exitGraceMs ?? EXIT_GRACE_MS);
          touch();
        }
      }
      if (pending.trim()) await options.onStdout([pending]);
    }
    const result = await child;
    if (stderrPending.trim()) options.onStderr?.([stderrPending]);
    return {
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      killedBy,
      spawnError: spawnErrorOf(result),
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

/** The executable a command name or path denotes, or null (checked up front: setpriv would hide ENOENT). */
export function findExecutable(bin: string, searchPath: string): string | null {
  const candidates = bin.includes('/')
    ? [bin]
    : searchPath
        .split(path.delimiter)
        .filter(Boolean)
        .map((d) => path.join(d, bin));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return null;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function spawnErrorOf(result: {
  failed: boolean;
  code?: string;
  originalMessage?: string;
  exitCode?: number;
}): AgentProcessOutcome['spawnError'] {
  if (result.exitCode !== undefined || !result.failed) return null;
  return { code: result.code, message: result.originalMessage ?? 'spawn failed' };
}
