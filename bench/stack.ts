/**
 * What every throughput benchmark starts from: a private stack (Temporal dev server, embedded
 * Postgres) and one small file per unit. Cleanups run newest first, also on Ctrl-C or SIGTERM,
 * so an interrupted benchmark leaves no server running and no directory behind.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startPrivateServers } from '../src/stack/privateServers.js';

export async function benchStack(units: number) {
  const servers = await startPrivateServers({ prefix: 'agentic-batch-bench-' });
  const work = servers.home;
  const cleanups: (() => Promise<unknown>)[] = [() => servers.stop(), () => rm(work, { recursive: true, force: true })];
  const cleanup = async (): Promise<void> => {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    for (const step of cleanups.splice(0)) await step().catch(() => undefined);
  };
  const interrupted = (): void => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);

  const files = path.join(work, 'units');
  const names = Array.from({ length: units }, (_, i) => `unit-${i}.txt`);
  try {
    await mkdir(files);
    await Promise.all(names.map((name, i) => writeFile(path.join(files, name), `${i}\n`)));
  } catch (err) {
    await cleanup();
    throw err;
  }
  const env = {
    TEMPORAL_ADDRESS: servers.temporalAddress,
    DATABASE_URL: servers.databaseUrl,
    AGENTIC_BATCH_TASK_QUEUE: 'bench',
    AGENTIC_BATCH_HOME: work,
  };
  /** Run `step` at cleanup, before what was registered earlier. */
  const onCleanup = (step: () => Promise<unknown>): void => void cleanups.unshift(step);
  return { servers, work, files, names, env, onCleanup, cleanup };
}
