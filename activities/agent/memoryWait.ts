/**
 * A unit's agent waits in the worker until the machine can hold it (src/agents/memoryGate.ts).
 * While units of a job wait, the worker says so in Postgres (memory_holds), refreshed every
 * few seconds, so `status` and the dashboard can tell why a job runs fewer units than it may;
 * that write is best effort: it never fails a unit.
 */
import os from 'node:os';
import type { Context } from '@temporalio/activity';
import type { Admission, MemoryGate } from '../../src/agents/memoryGate.js';
import type { Db } from '../../src/store/db.js';
import { releaseMemoryHold, saveMemoryHold } from '../../src/store/memoryHolds.js';

const POLL_MS = 250;
const REFRESH_MS = 5000;
const MB = 1024 * 1024;
const WORKER = `${os.hostname()}:${process.pid}`;

/** The units of each job this worker holds, and when their row was last written. */
class Holds {
  private readonly jobs = new Map<string, { units: number; writtenAt: number }>();

  constructor(private readonly db: Db) {}

  add(jobId: string, admission: Admission): void {
    const held = this.jobs.get(jobId) ?? { units: 0, writtenAt: 0 };
    held.units += 1;
    this.jobs.set(jobId, held);
    this.write(jobId, held, admission, true);
  }

  refresh(jobId: string, admission: Admission): void {
    const held = this.jobs.get(jobId);
    if (held && Date.now() - held.writtenAt >= REFRESH_MS) this.write(jobId, held, admission, false);
  }

  remove(jobId: string): void {
    const held = this.jobs.get(jobId);
    if (!held) return;
    held.units -= 1;
    if (held.units > 0) return;
    this.jobs.delete(jobId);
    releaseMemoryHold(this.db, jobId, WORKER).catch(() => undefined);
  }

  private write(jobId: string, held: { units: number; writtenAt: number }, admission: Admission, now: boolean): void {
    if (!now && Date.now() - held.writtenAt < REFRESH_MS) return;
    held.writtenAt = Date.now();
    const row = {
      worker: WORKER,
      units: held.units,
      availableMb: Math.round(admission.availableBytes / MB),
      needMb: Math.round(admission.needBytes / MB),
    };
    saveMemoryHold(this.db, jobId, row).catch(() => undefined);
  }
}

let holds: Holds | null = null;

/**
 * Returns the gate's token once the agent may start (or at once if the attempt was aborted
 * meanwhile: it then starts and stops at once, as any cancelled attempt does).
 */
export async function admitAgent(
  gate: MemoryGate,
  db: Db,
  ctx: Context,
  request: { jobId: string; kind: string; signal: AbortSignal },
): Promise<number | null> {
  let { token, admission } = gate.tryStart(request.kind);
  if (token !== null || request.signal.aborted) return token;
  holds ??= new Holds(db);
  holds.add(request.jobId, admission);
  try {
    while (token === null && !request.signal.aborted) {
      ctx.heartbeat({ waitingForMemory: true });
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      ({ token, admission } = gate.tryStart(request.kind));
      holds.refresh(request.jobId, admission);
    }
    return token;
  } finally {
    holds.remove(request.jobId);
  }
}
