/**
 * The state dir's files about the background stack: `stack.json` (where its services listen,
 * written once everything is up, removed when it stops; clients read it to connect) and
 * `stack.lock` (held by the one supervisor for its whole life, so two can never share the data).
 */
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { commandLine, isAlive } from './processes.js';

const stackSchema = z.object({
  supervisorPid: z.number().int(),
  temporalAddress: z.string(),
  temporalPid: z.number().int().nullable(),
  uiUrl: z.string().nullable(),
  /** The dashboard's address, without its token (a stack from before the dashboard has none). */
  dashboardUrl: z.string().nullable().default(null),
  databaseUrl: z.string(),
  taskQueue: z.string(),
  startedAt: z.string(),
  /** The build its worker runs (src/stack/buildId.ts); a stack from before builds were named has none. */
  build: z.string().nullable().default(null),
});
export type StackInfo = z.output<typeof stackSchema>;

export function stackPaths(home: string) {
  return {
    stackFile: path.join(home, 'stack.json'),
    lockFile: path.join(home, 'stack.lock'),
    supervisorLog: path.join(home, 'stack.log'),
    temporalLog: path.join(home, 'temporal.log'),
    temporalDb: path.join(home, 'temporal.db'),
  };
}

/** The state dir, created private; one that others could write to is refused (we run servers from it). */
export async function ensureHome(home: string): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const s = await stat(home);
  if (s.uid !== os.userInfo().uid || (s.mode & 0o022) !== 0) {
    throw new UserError(
      `the state dir ${home} is writable by other users (or not yours)`,
      `make it private (chmod 700 ${home}) or point AGENTIC_BATCH_HOME elsewhere`,
    );
  }
}

/**
 * Is this pid our supervisor? A pid in a file left from before a reboot may now be anything;
 * on Linux the command line tells (elsewhere we can only trust the pid).
 */
export function isSupervisor(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  return cmd === '' || (/\bup\b/.test(cmd) && /agentic-batch|main\.js/.test(cmd));
}

/** The running stack, or null when none is (a file left by a killed supervisor counts as none). */
export async function readStack(home: string): Promise<StackInfo | null> {
  const info = await readStackFile(home);
  return info && isSupervisor(info.supervisorPid) ? info : null;
}

/** Take the lock for this process, or say which live supervisor holds it. */
export async function acquireStackLock(home: string): Promise<{ release(): Promise<void> }> {
  const { lockFile } = stackPaths(home);
  for (let tries = 0; tries < 3; tries++) {
    try {
      const file = await open(lockFile, 'wx', 0o600);
      await file.writeFile(String(process.pid));
      await file.close();
      return { release: () => rm(lockFile, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = await lockHolder(home);
      if (holder)
        throw new UserError(
          `the stack is already running or starting (pid ${holder})`,
          'stop it with `agentic-batch down`',
        );
      await rm(lockFile, { force: true }); // left by a supervisor that was killed
    }
  }
  throw new UserError(`cannot take the stack lock ${lockFile}`);
}

/** The live supervisor holding the lock, if any. */
export async function lockHolder(home: string): Promise<number | null> {
  const pid = Number(await readFile(stackPaths(home).lockFile, 'utf8').catch(() => ''));
  return pid > 0 && isSupervisor(pid) ? pid : null;
}

/** The file as written, even when its supervisor was killed and left services behind. */
export async function readStackFile(home: string): Promise<StackInfo | null> {
  const text = await readFile(stackPaths(home).stackFile, 'utf8').catch(() => null);
  if (!text) return null;
  try {
    const parsed = stackSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writeStack(home: string, info: StackInfo): Promise<void> {
  const file = stackPaths(home).stackFile;
  await writeFile(`${file}.tmp`, JSON.stringify(info, null, 2), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function removeStack(home: string): Promise<void> {
  await rm(stackPaths(home).stackFile, { force: true });
}
