/**
 * The agent spawner: a small Node process that starts agent processes for a worker and relays
 * their output. Why: Node forks to spawn, and a fork costs in proportion to the parent's resident
 * memory. Measured here: /bin/true took 0.8 ms of CPU to spawn from a 55 MB process, 9.8 ms from
 * a 370 MB one, and 10.7 ms per unit from the worker (~300 MB) — a third of its CPU per unit.
 *
 * Protocol (spawnerProtocol.ts, batched per turn): the worker sends `spawn`, `pause`, `resume`
 * (of stdout or stderr: a flooding agent is slowed, not buffered); this process answers
 * `spawned`, `out`, `err` (utf8 chunks, in order) and `exit`. Agents run in their own process
 * groups; once an agent has exited its group is killed (tools it left behind). When the worker
 * goes away (the channel closes, or SIGTERM from setpriv's parent-death signal) every group is
 * killed, so a crashed worker leaves no agent running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { GroupMemorySampler } from './groupMemory.js';
import { Batcher, type Batch, type SpawnerReply, type SpawnerRequest } from './spawnerProtocol.js';

const children = new Map<number, ChildProcess>();
const memory = new GroupMemorySampler();
/** The agents' base environment, which this process was started with: read once (process.env is slow to copy). */
const baseEnv = { ...process.env };

function agentEnv(request: Extract<SpawnerRequest, { op: 'spawn' }>): NodeJS.ProcessEnv {
  const env = { ...baseEnv };
  for (const name of request.unset) delete env[name];
  return Object.assign(env, request.env);
}

const replies = new Batcher<SpawnerReply>((batch) => {
  if (process.connected) process.send!(batch);
});

function start(request: Extract<SpawnerRequest, { op: 'spawn' }>): void {
  const { id } = request;
  let child: ChildProcess;
  try {
    child = spawn(request.file, request.args, {
      cwd: request.cwd,
      env: agentEnv(request),
      stdio: [request.stdin === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const spawnError = { code: e.code, message: e.message };
    replies.push({ op: 'exit', id, exitCode: null, signal: null, spawnError, peakRssBytes: null });
    return;
  }
  children.set(id, child);
  let spawned = false;
  let spawnError: { code?: string; message: string } | null = null;
  child.on('error', (err: NodeJS.ErrnoException) => {
    if (!spawned) spawnError ??= { code: err.code, message: err.message };
  });
  child.on('spawn', () => {
    spawned = true;
    memory.track(child.pid!);
    replies.later({ op: 'spawned', id, pid: child.pid! });
  });
  child.stdin?.on('error', () => undefined); // an agent that never reads its input
  child.stdin?.end(request.stdin);
  child.stdout!.setEncoding('utf8').on('data', (data: string) => relay({ op: 'out', id, data }));
  child.stderr!.setEncoding('utf8').on('data', (data: string) => relay({ op: 'err', id, data }));
  // 'close': the process has exited and its output is all read (or it never started).
  child.on('close', (exitCode, signal) => {
    children.delete(id);
    if (!spawned) {
      replies.push({
        op: 'exit',
        id,
        exitCode: null,
        signal: null,
        spawnError: spawnError ?? { message: 'spawn failed' },
        peakRssBytes: null,
      });
      return;
    }
    const peakRssBytes = memory.untrack(child.pid!);
    killGroup(child.pid);
    replies.push({ op: 'exit', id, exitCode, signal, spawnError: null, peakRssBytes });
  });
}

/** A chunk of a flood (the pipe's reads grow to 64 KiB) goes at once, so little waits here. */
const EAGER_CHUNK = 16 * 1024;

/** Output waits for the agent's exit or the next message (Batcher.later), unless there is much of it. */
function relay(reply: Extract<SpawnerReply, { op: 'out' | 'err' }>): void {
  if (reply.data.length >= EAGER_CHUNK) replies.push(reply);
  else replies.later(reply);
}

function handle(request: SpawnerRequest): void {
  switch (request.op) {
    case 'spawn':
      return start(request);
    case 'pause':
    case 'resume': {
      const child = children.get(request.id);
      const stream = request.stream === 'err' ? child?.stderr : child?.stdout;
      return void (request.op === 'pause' ? stream?.pause() : stream?.resume());
    }
  }
}

function killGroup(pid: number | undefined): void {
  try {
    if (pid !== undefined) process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

process.on('message', (batch: Batch<SpawnerRequest>) => batch.messages.forEach(handle));

const killAllAndExit = (): never => {
  for (const { pid } of children.values()) killGroup(pid);
  process.exit(0);
};
process.on('disconnect', killAllAndExit);
process.on('SIGTERM', killAllAndExit);
process.on('SIGINT', () => undefined); // Ctrl-C reaches the whole terminal group: the worker decides.
