/**
 * `stack.json` in the state dir: where the background stack's services listen, written by the
 * supervisor once everything is up, removed when it stops. Clients read it to connect.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { isAlive } from './processes.js';

const stackSchema = z.object({
  supervisorPid: z.number().int(),
  temporalAddress: z.string(),
  temporalPid: z.number().int().nullable(),
  uiUrl: z.string().nullable(),
  databaseUrl: z.string(),
  taskQueue: z.string(),
  startedAt: z.string(),
});
export type StackInfo = z.output<typeof stackSchema>;

export function stackPaths(home: string) {
  return {
    stackFile: path.join(home, 'stack.json'),
    supervisorLog: path.join(home, 'stack.log'),
    temporalLog: path.join(home, 'temporal.log'),
    temporalDb: path.join(home, 'temporal.db'),
  };
}

export async function ensureHome(home: string): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
}

/** The running stack, or null when none is (a file left by a killed supervisor counts as none). */
export async function readStack(home: string): Promise<StackInfo | null> {
  const info = await readStackFile(home);
  return info && isAlive(info.supervisorPid) ? info : null;
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
