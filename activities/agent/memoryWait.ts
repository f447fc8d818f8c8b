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

export class MemoryAdmission {
  /** The units of each job held here, and when their row was last written. */
  private readonly held = new Map<string, { units: number; writtenAt: number }>();

  constructor(
    readonly gate: MemoryGate,
    private readonly db: Db,
  ) {}

  /**
   * The gate's token once the agent may start (null if the attempt was aborted meanwhile: it
   * then starts and stops at once, as any cancelled attempt does).
   */
  async admit(ctx: Context, request: { jobId: string; kind: string; signal: AbortSignal }): Promise<number | null> {
    let { token, admission } = this.gate.tryStart(request.kind);
    if (token !== null || request.signal.aborted) return token;
    this.hold(request.jobId, 1, admission);
    try {
      while (token === null && !request.signal.aborted) {
        ctx.heartbeat({ waitingForMemory: true });
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        ({ token, admission } = this.gate.tryStart(request.kind));
        this.hold(request.jobId, 0, admission);
      }
      return token;
    } finally {
      this.release(request.jobId);
    }
  }

  /** `more` units of the job wait now; its row is written when new, then every REFRESH_MS. */
  private hold(jobId: string, more: number, admission: Admission): void {
    const held = this.held.get(jobId) ?? { units: 0, writtenAt: 0 };
    held.units += more;
    this.held.set(jobId, held);
    if (Date.now() - held.writtenAt < REFRESH_MS) return;
    held.writtenAt = Date.now();
    const row = {
      worker: WORKER,
      units: held.units,
      availableMb: Math.round(admission.availableBytes / MB),
      needMb: Math.round(admission.needBytes / MB),
    };
    saveMemoryHold(this.db, jobId, row).catch(() => undefined);
  }

  private release(jobId: string): void {
    const held = this.held.get(jobId);
    if (!held || --held.units > 0) return;
    this.held.delete(jobId);
    releaseMemoryHold(this.db, jobId, WORKER).catch(() => undefined);
  }
}
