/**
 * The worker's side of the agent spawner (spawnHelper.ts): one small helper process per worker,
 * started on first use and again if it dies, that spawns agents and relays their output, so the
 * worker's own size never makes a spawn slow. Each agent comes back as streams and a promise, as
 * `child_process` would give.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { SpawnerReply, SpawnerRequest } from './spawnerProtocol.js';

export interface AgentExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  spawnError: { code?: string; message: string } | null;
}

export interface SpawnedAgent {
  /** The agent's pid (and process group) once it started; null if it never did. */
  readonly started: Promise<number | null>;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Once the agent has exited and its output has all been delivered to the streams. */
  readonly exited: Promise<AgentExit>;
}

const SETPRIV = '/usr/bin/setpriv';

/** The compiled helper next to this file; from the TypeScript sources (tests), the built one. */
const HELPER = ((): string => {
  const sibling = fileURLToPath(new URL('./spawnHelper.js', import.meta.url));
  return existsSync(sibling)
    ? sibling
    : fileURLToPath(new URL('../../dist/src/agents/spawnHelper.js', import.meta.url));
})();

interface Running {
  /** Its stdout or stderr is paused in the helper until the reader wants more. */
  paused: { out: boolean; err: boolean };
  started: (pid: number | null) => void;
  stdout: Readable;
  stderr: Readable;
  exited: (exit: AgentExit) => void;
}

let helper: ChildProcess | null = null;
const running = new Map<number, Running>();
let nextId = 1;

function connectHelper(): ChildProcess {
  if (helper?.connected) return helper;
  // The helper gets SIGTERM when this process dies (and then kills every agent it started).
  const [file, args] =
    process.platform === 'linux' && existsSync(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'TERM', '--', process.execPath, HELPER]]
      : [process.execPath, [HELPER]];
  const child = spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('message', (reply: SpawnerReply) => deliver(reply));
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
    case 'err': {
      // Over the stream's high-water mark: stop reading the agent until the reader catches up.
      const stream = reply.op === 'out' ? agent.stdout : agent.stderr;
      if (!stream.push(reply.data) && !agent.paused[reply.op]) {
        agent.paused[reply.op] = true;
        send({ op: 'pause', id: reply.id, stream: reply.op });
      }
      return;
    }
    case 'exit':
      return end(reply.id, { exitCode: reply.exitCode, signal: reply.signal, spawnError: reply.spawnError });
  }
}

/** The agent is gone: its streams end and `exited` resolves (`started` too, if it never did). */
function end(id: number, exit: AgentExit): void {
  const agent = running.get(id);
  if (!agent) return;
  running.delete(id);
  agent.started(null);
  agent.stdout.push(null);
  agent.stderr.push(null);
  agent.exited(exit);
}

function send(request: SpawnerRequest): void {
  const child = connectHelper();
  child.send(request);
}

/** Start an agent through the helper, with the worker's environment plus `env`. */
export function spawnAgent(options: Omit<Extract<SpawnerRequest, { op: 'spawn' }>, 'op' | 'id'>): SpawnedAgent {
  const id = nextId++;
  let started!: (pid: number | null) => void;
  let exited!: (exit: AgentExit) => void;
  const resume = (stream: 'out' | 'err') => (): void => {
    const entry = running.get(id);
    if (!entry?.paused[stream]) return;
    entry.paused[stream] = false;
    send({ op: 'resume', id, stream });
  };
  const agent: SpawnedAgent = {
    started: new Promise((resolve) => (started = resolve)),
    stdout: new Readable({ encoding: 'utf8', read: resume('out') }),
    stderr: new Readable({ encoding: 'utf8', read: resume('err') }),
    exited: new Promise((resolve) => (exited = resolve)),
  };
  running.set(id, { paused: { out: false, err: false }, started, exited, stdout: agent.stdout, stderr: agent.stderr });
  send({ op: 'spawn', id, ...options });
  return agent;
}
