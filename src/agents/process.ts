/**
 * Run one agent process: stdin written (or closed), stdout and stderr read line by line as they
 * arrive, with backpressure (the next chunk waits for the handler) and bounds (a line past
 * `maxLineLength` is cut, an agent past `maxOutputBytes` stopped), a tail of stderr kept. It is
 * started by the worker's agent spawner (spawner.ts: a fork of the worker itself costs ~10 ms).
 * The agent gets its own process group, so the tools it spawned (Bash) can be killed with it: on
 * cancellation, when it goes silent, when it lingers after its final line, and at the end (the
 * spawner kills the group of an agent that exited). It dies with the worker: the spawner kills
 * every agent when the worker goes away, so a crashed worker leaves no agent running while
 * Temporal retries the unit elsewhere.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { LineSplitter } from './lines.js';
import { spawnAgent, type Stream } from './spawner.js';

export interface AgentProcessOptions {
  bin: string;
  args: readonly string[];
  cwd: string;
  /** Added to the agents' base environment (agentEnv.ts: the worker's, minus the engine's secrets). */
  env: Record<string, string>;
  /** Removed from that base first: the job's own secret variables (agentEnv.ts `attemptEnv`). */
  unsetEnv?: readonly string[];
  /** Written to stdin, which is then closed; null closes it at once. */
  stdin?: string | null;
  /** Aborting kills the agent (Temporal cancellation, worker shutdown). */
  signal: AbortSignal;
  /** Kill the agent when it writes nothing for this long. */
  idleTimeoutMs: number;
  /**
   * Called with the complete stdout lines of each chunk, in order; the next chunk waits for it
   * (the agent is slowed, not buffered). Returning true says the agent's final line has
   * arrived: it then gets a short grace to exit.
   */
  onStdout: (lines: string[]) => Promise<boolean>;
  /** Called with the complete stderr lines of each chunk, when given; the next waits for it too. */
  onStderr?: (lines: string[]) => unknown;
  /** How long an agent may linger after its final line (default 10 s). */
  exitGraceMs?: number;
  /** A longer line is cut there and marked (default 4 Mi characters). */
  maxLineLength?: number;
  /** An agent that writes more than this (stdout and stderr) is stopped (default: no limit). */
  maxOutputBytes?: number;
}

export interface AgentProcessOutcome {
  exitCode: number | null;
  signal: string | null;
  /** `output`: it wrote more than `maxOutputBytes`. */
  killedBy: 'idle' | 'cancel' | 'output' | null;
  spawnError: { code?: string; message: string } | null;
  stderrTail: string;
  durationMs: number;
  /** The peak memory of its process group, when it ran long enough to be sampled. */
  peakRssBytes?: number | null;
}

const STDERR_TAIL_CHARS = 4096;
/** Longer than any stream-json line the CLIs write (a 1 MiB result fits), short enough to hold. */
export const DEFAULT_MAX_LINE_LENGTH = 4 * 1024 * 1024;
const KILL_GRACE_MS = 3000;
/** After its final line an agent should exit; one that lingers (e.g. on a child) is stopped. */
const EXIT_GRACE_MS = 10_000;

export async function runAgentProcess(options: AgentProcessOptions): Promise<AgentProcessOutcome> {
  const started = performance.now();
  let killedBy: AgentProcessOutcome['killedBy'] = null;
  let stderrTail = '';

  const bin = findExecutable(options.bin, options.env.PATH ?? process.env.PATH ?? '');
  if (!bin) {
    const spawnError = { code: 'ENOENT', message: `${options.bin} not found` };
    return { exitCode: null, signal: null, killedBy, spawnError, stderrTail, durationMs: 0 };
  }
  const child = spawnAgent({
    file: bin,
    args: [...options.args],
    cwd: options.cwd,
    env: options.env,
    unset: [...(options.unsetEnv ?? [])],
    stdin: options.stdin ?? null,
  });
  const killGroup = (reason: 'idle' | 'cancel' | 'output'): void => {
    if (killedBy) return;
    killedBy = reason;
    void child.started.then((agentPid) => {
      if (agentPid === null) return;
      signalGroup(agentPid, 'SIGTERM');
      setTimeout(() => signalGroup(agentPid, 'SIGKILL'), KILL_GRACE_MS).unref();
    });
  };

  let exited = false;
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

  let outputBytes = 0;
  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  /** Reads a stream line by line; the next chunk waits for the handler (backpressure). */
  const readLines = async (
    stream: Stream,
    handle: (lines: string[]) => unknown,
    tail?: (chunk: string) => void,
  ): Promise<void> => {
    const splitter = new LineSplitter(maxLineLength);
    await child.read(stream, async (chunk) => {
      touch();
      tail?.(chunk);
      outputBytes += chunk.length;
      if (options.maxOutputBytes !== undefined && outputBytes > options.maxOutputBytes) killGroup('output');
      if (killedBy === 'output') return; // drain what is left, read nothing more
      const lines = splitter.push(chunk);
      if (lines.length > 0) await handle(lines);
    });
    const last = splitter.end().filter((line) => line.trim());
    if (last.length > 0 && killedBy !== 'output') await handle(last);
  };

  try {
    const onStdout = async (lines: string[]): Promise<void> => {
      if (await options.onStdout(lines)) {
        quietLimitMs = Math.min(quietLimitMs, options.exitGraceMs ?? EXIT_GRACE_MS);
        touch();
      }
    };
    const keepTail = (chunk: string): void => {
      stderrTail = (stderrTail + chunk.slice(-STDERR_TAIL_CHARS)).slice(-STDERR_TAIL_CHARS);
    };
    await Promise.all([readLines('out', onStdout), readLines('err', options.onStderr ?? (() => undefined), keepTail)]);
    const exit = await child.exited;
    exited = true;
    return { ...exit, killedBy, stderrTail, durationMs: performance.now() - started };
  } finally {
    clearTimeout(idleTimer);
    options.signal.removeEventListener('abort', onAbort);
    // Whatever happened, leave no agent (or tool it started) behind (the spawner kills the group
    // of an agent that exited: a signal to a gone group costs an exception here).
    if (!exited) void child.started.then((agentPid) => agentPid !== null && signalGroup(agentPid, 'SIGKILL'));
  }
}

/** The executable a command name or path denotes, or null (checked up front, for a clear error). */
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
