/** Units a worker holds until it has the memory to start their agents (memoryGate.ts): what `status` says of it. */
import type { Db } from './db.js';

export interface MemoryHold {
  worker: string;
  units: number;
  availableMb: number;
  needMb: number;
  since: Date;
}

/** A hold older than this is from a worker that went away holding it (it updates every few seconds). */
const STALE_SECONDS = 30;

export async function saveMemoryHold(db: Db, jobId: string, hold: Omit<MemoryHold, 'since'>): Promise<void> {
  await db.query(
    `INSERT INTO memory_holds (job_id, worker, units, available_mb, need_mb) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (job_id, worker) DO UPDATE SET units = $3, available_mb = $4, need_mb = $5, updated_at = now()`,
    [jobId, hold.worker, hold.units, hold.availableMb, hold.needMb],
  );
}

export async function releaseMemoryHold(db: Db, jobId: string, worker: string): Promise<void> {
  await db.query('DELETE FROM memory_holds WHERE job_id = $1 AND worker = $2', [jobId, worker]);
}

export async function memoryHoldsOf(db: Db, jobId: string): Promise<MemoryHold[]> {
  const { rows } = await db.query<MemoryHold>(
    `SELECT worker, units, available_mb AS "availableMb", need_mb AS "needMb", since FROM memory_holds
     WHERE job_id = $1 AND updated_at > now() - make_interval(secs => $2) ORDER BY worker`,
    [jobId, STALE_SECONDS],
  );
  return rows;
}
