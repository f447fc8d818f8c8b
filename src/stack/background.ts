/** Start the stack detached (`up -d`, and `run` when nothing is up) and stop it (`down`). */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { currentBuildId } from './buildId.js';
import { isAlive, stopProcess } from './processes.js';
import {
  ensureHome,
  isSupervisor,
  lockHolder,
  readStack,
  readStackFile,
  stackPaths,
  type StackInfo,
} from './stackFile.js';

const CLI_ENTRY = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const START_TIMEOUT_MS = 120_000;
/** Building the Temporal CLI with Go takes about 4 minutes on 2 cores; allow for a slow machine. */
const BUILD_TIMEOUT_MS = 20 * 60_000;

/** Where the stack's progress about its Temporal server goes while a command waits for it. */
export type Progress = (line: string) => void;
const toStderr: Progress = (line) => process.stderr.write(`${line}\n`);

export async function startStackInBackground(
  config: Config,
  extraArgs: string[] = [],
  progress = toStderr,
): Promise<StackInfo> {
  const running = await readStack(config.home);
  if (running && running.build === currentBuildId()) return running;
  if (running) {
    // After an upgrade: the stack's worker runs the previous build. Its jobs go on under this
    // build's worker, each on the workflow version it began with (workflows/job/jobWorkflow.ts).
    progress(
      `[stack] the running stack's worker is another build (${running.build ?? 'unnamed'}, this is ` +
        `${currentBuildId()}): restarting it on this one; running jobs continue`,
    );
    await stopBackgroundStack(config);
  }
  await ensureHome(config.home);
  // Another command is already starting it: wait for that one instead of racing it.
  const starting = await lockHolder(config.home);
  if (starting) return waitUntilReady(config, starting, progress);
  const paths = stackPaths(config.home);
  const logFd = openSync(paths.supervisorLog, 'a');
  const child = spawn(process.execPath, [CLI_ENTRY, 'up', ...extraArgs], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: workerProcessEnv(process.env),
  });
  closeSync(logFd);
  child.unref();
  return waitUntilReady(config, child.pid!, progress);
}

/**
 * Until a stack is up (ours, or one another command started meanwhile) or `pid` gave up. What
 * the supervisor says about its Temporal server (downloading, building it with Go) is passed on.
 */
async function waitUntilReady(config: Config, pid: number, progress: Progress): Promise<StackInfo> {
  const { supervisorLog } = stackPaths(config.home);
  let deadline = Date.now() + START_TIMEOUT_MS;
  let offset = (await stat(supervisorLog).catch(() => null))?.size ?? 0;
  while (Date.now() < deadline) {
    const info = await readStack(config.home);
    if (info) return info;
    const text = await readFrom(supervisorLog, offset);
    offset += Buffer.byteLength(text);
    for (const line of text.split('\n')) {
      if (!line.startsWith('[stack] temporal:')) continue;
      progress(line);
      if (line.includes('building the Temporal CLI')) deadline = Date.now() + BUILD_TIMEOUT_MS;
    }
    if (!isAlive(pid) && !(await lockHolder(config.home))) {
      throw new UserError(`the stack failed to start: ${await logTail(supervisorLog)}`, `full log: ${supervisorLog}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new UserError('the stack did not become ready in time', `see ${supervisorLog}`);
}

/** Returns false when nothing was running. */
export async function stopBackgroundStack(config: Config): Promise<boolean> {
  const pid = (await readStackFile(config.home))?.supervisorPid ?? (await lockHolder(config.home));
  if (!pid || !isSupervisor(pid)) return false;
  await stopProcess(pid, 60_000);
  return true;
}

/** The complete lines written to `file` after byte `offset`. */
async function readFrom(file: string, offset: number): Promise<string> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    if (size <= offset) return '';
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    const text = buffer.toString('utf8');
    return text.slice(0, text.lastIndexOf('\n') + 1);
  } finally {
    await handle.close();
  }
}

async function logTail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.slice(-3).join(' | ') || 'no output';
}

/**
 * The environment of a long-running worker process: glibc's malloc gets two arenas rather than
 * eight per core for the worker's many native threads (Temporal's core, libuv). Measured at
 * concurrency 64: peak RSS 242–268 MB with the default, 232–238 MB with two, throughput the
 * same. A value the user set wins.
 */
export function workerProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: '2', ...env };
}
