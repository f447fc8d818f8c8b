/** A job's spending over time, for the dashboard's chart: attempts finished and cost, cumulative. */
import { costTimeline } from '../store/results.js';
import type { Session } from './session.js';
import { requireJob } from './units.js';

const BUCKETS = 60;

export interface TimelinePoint {
  at: string;
  /** Attempts finished by then (retries count: each cost money). */
  attempts: number;
  costUsd: number;
}

/** Cumulative, from nothing spent at the first attempt's end to all spent at the last's. */
export async function jobTimeline(session: Session, jobId: string): Promise<{ points: TimelinePoint[] }> {
  await requireJob(session, jobId);
  const { start, buckets } = await costTimeline(session.db, jobId, BUCKETS);
  if (!start) return { points: [] };
  let attempts = 0;
  let costUsd = 0;
  const points = buckets.map((b) => ({
    at: b.at.toISOString(),
    attempts: (attempts += b.attempts),
    costUsd: (costUsd += b.costUsd),
  }));
  return { points: [{ at: start.toISOString(), attempts: 0, costUsd: 0 }, ...points] };
}
