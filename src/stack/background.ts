/** Start the stack detached (`up -d`, and `run` when nothing is up) and stop it (`down`). */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { isAlive, stopProcess } from './processes.js';
import { ensureHome, isSupervisor, lockHolder, readStack, readStackFile, stackPaths, type StackInfo } from './stackFile.js';

const CLI_ENTRY = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const START_TIMEOUT_MS = 120_000;

export async function startStackInBackground(config: Config, extraArgs: string[] = []): Promise<StackInfo> {
  const running = await readStack(config.home);
  if (running) return running;
  await ensureHome(config.home);
  // Another command is already starting it: wait for that one instead of racing it.
  const starting = await lockHolder(config.home);
  if (starting) return waitUntilReady(config, starting);
  const paths = stackPaths(config.home);
  const logFd = openSync(paths.supervisorLog, 'a');
  const child = spawn(process.execPath, [CLI_ENTRY, 'up', ...extraArgs], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: process.env,
  });
  closeSync(logFd);
  child.unref();
  return waitUntilReady(config, child.pid!);
}

/** Until a stack is up (ours, or one another command started meanwhile) or `pid` gave up. */
async function waitUntilReady(config: Config, pid: number): Promise<StackInfo> {
  const { supervisorLog } = stackPaths(config.home);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const info = await readStack(config.home);
    if (info) return info;
    if (!isAlive(pid) && !(await lockHolder(config.home))) {
      throw new UserError(`the stack failed to start: ${await logTail(supervisorLog)}`, `full log: ${supervisorLog}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new UserError(`the stack did not become ready within ${START_TIMEOUT_MS / 1000}s`, `see ${supervisorLog}`);
}

/** Returns false when nothing was running. */
export async function stopBackgroundStack(config: Config): Promise<boolean> {
  const pid = (await readStackFile(config.home))?.supervisorPid ?? (await lockHolder(config.home));
  if (!pid || !isSupervisor(pid)) return false;
  await stopProcess(pid, 60_000);
  return true;
}

async function logTail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.slice(-3).join(' | ') || 'no output';
}
