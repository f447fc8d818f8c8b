/**
 * The worker's side of the agent spawner (spawnHelper.ts): one small helper process per worker,
 * started on first use and again if it dies, that spawns agents and relays their output, so the
 * worker's own size never makes a spawn slow. An agent's output comes back as chunks handed to a
 * reader one at a time; while more than HIGH_WATER characters wait, the helper stops reading the
 * agent (which then blocks on its pipe) until the reader catches up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { agentBaseEnv } from './agentEnv.js';
import { Batcher, type Batch, type SpawnerReply, type SpawnerRequest } from './spawnerProtocol.js';

export interface AgentExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  spawnError: { code?: string; message: string } | null;
  /** The peak memory of its process group, when it ran long enough to be sampled. */
  peakRssBytes?: number | null;
}

export type Stream = 'out' | 'err';

export interface SpawnedAgent {
  /** The agent's pid (and process group) once it started; null if it never did. */
  readonly started: Promise<number | null>;
  /** Hands each chunk of the stream to `reader`, the next once it resolves; resolves at the stream's end. */
  read(stream: Stream, reader: (chunk: string) => unknown): Promise<void>;
  /** Once the agent has exited (its output is all delivered once both reads resolved). */
  readonly exited: Promise<AgentExit>;
}

const SETPRIV = '/usr/bin/setpriv';
/** Characters waiting for the reader past which the agent is paused, and below which it goes on. */
const HIGH_WATER = 256 * 1024;
const LOW_WATER = 64 * 1024;

/** The compiled helper next to this file; from the TypeScript sources (tests), the built one. */
const HELPER = ((): string => {
  const sibling = fileURLToPath(new URL('./spawnHelper.js', import.meta.url));
  return existsSync(sibling)
    ? sibling
    : fileURLToPath(new URL('../../dist/src/agents/spawnHelper.js', import.meta.url));
})();

/** One stream of one agent: chunks waiting for its reader. */
class Pipe {
  private chunks: string[] = [];
  private waiting = 0;
  private ended = false;
  private paused = false;
  private wake: (() => void) | null = null;

  constructor(private readonly flow: (op: 'pause' | 'resume') => void) {}

  push(chunk: string): void {
    this.chunks.push(chunk);
    this.waiting += chunk.length;
    if (!this.paused && this.waiting > HIGH_WATER) {
      this.paused = true;
      this.flow('pause');
    }
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async read(reader: (chunk: string) => unknown): Promise<void> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk === undefined) {
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      await reader(chunk);
      this.waiting -= chunk.length;
      if (this.paused && this.waiting < LOW_WATER) {
        this.paused = false;
        this.flow('resume');
      }
    }
  }
}

interface Running {
  started: (pid: number | null) => void;
  pipes: Record<Stream, Pipe>;
  exited: (exit: AgentExit) => void;
}

let helper: ChildProcess | null = null;
const running = new Map<number, Running>();
let nextId = 1;
const requests = new Batcher<SpawnerRequest>((batch) => connectHelper().send(batch));

function connectHelper(): ChildProcess {
  if (helper?.connected) return helper;
  // The helper gets SIGTERM when this process dies (and then kills every agent it started).
  const [file, args] =
    process.platform === 'linux' && existsSync(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'TERM', '--', process.execPath, HELPER]]
      : [process.execPath, [HELPER]];
  // The helper holds no secret of the engine's: its environment is what agents start from.
  const child = spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: agentBaseEnv(process.env) });
  child.on('message', (batch: Batch<SpawnerReply>) => batch.messages.forEach(deliver));
  child.on('error', () => undefined); // reported through 'exit'
  child.on('exit', () => {
    if (helper === child) helper = null;
    // Its agents were killed with it: they end as killed, and their units are retried.
    for (const id of running.keys()) end(id, { exitCode: null, signal: 'SIGKILL', spawnError: null });
  });
  // Running agents keep the worker busy; an idle helper must not keep it alive.
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  helper = child;
  return child;
}

function deliver(reply: SpawnerReply): void {
  const agent = running.get(reply.id);
  if (!agent) return;
  switch (reply.op) {
    case 'spawned':
      return agent.started(reply.pid);
    case 'out':
    case 'err':
      return agent.pipes[reply.op].push(reply.data);
    case 'exit':
      return end(reply.id, {
        exitCode: reply.exitCode,
        signal: reply.signal,
        spawnError: reply.spawnError,
        peakRssBytes: reply.peakRssBytes ?? null,
      });
  }
}

/** The agent is gone: its streams end and `exited` resolves (`started` too, if it never did). */
function end(id: number, exit: AgentExit): void {
  const agent = running.get(id);
  if (!agent) return;
  running.delete(id);
  agent.started(null);
  agent.pipes.out.end();
  agent.pipes.err.end();
  agent.exited(exit);
}

/** Start an agent through the helper, with the agents' base environment minus `unset` plus `env`. */
export function spawnAgent(options: Omit<Extract<SpawnerRequest, { op: 'spawn' }>, 'op' | 'id'>): SpawnedAgent {
  const id = nextId++;
  let started!: (pid: number | null) => void;
  let exited!: (exit: AgentExit) => void;
  const flow = (stream: Stream) => (op: 'pause' | 'resume') => requests.push({ op, id, stream });
  const pipes = { out: new Pipe(flow('out')), err: new Pipe(flow('err')) };
  const agent: SpawnedAgent = {
    started: new Promise((resolve) => (started = resolve)),
    read: (stream, reader) => pipes[stream].read(reader),
    exited: new Promise((resolve) => (exited = resolve)),
  };
  running.set(id, { started, exited, pipes });
  requests.push({ op: 'spawn', id, ...options });
  return agent;
}
