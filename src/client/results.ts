/** A job's results as records, JSONL or CSV, streamed from one snapshot of the job. */
import { stringify } from 'csv-stringify/sync';
import type { UnitStatus } from '../domain/index.js';
import { streamResults, type ResultRow } from '../store/results.js';
import type { Session } from './session.js';
import { requireJob } from './units.js';

/** The documented shape of one unit's result. */
export function resultRecord(u: ResultRow) {
  return {
    unitId: u.unitId,
    key: u.key,
    status: u.status,
    result: u.result,
    error: u.error,
    costUsd: u.costUsd,
    sessionId: u.sessionId,
    attempts: u.attempts,
    durationMs: u.durationMs,
  };
}
export type ResultRecord = ReturnType<typeof resultRecord>;

export const RESULT_COLUMNS = [
  'unitId',
  'key',
  'status',
  'result',
  'error',
  'costUsd',
  'sessionId',
  'attempts',
  'durationMs',
] as const satisfies readonly (keyof ResultRecord)[];

export type ResultFormat = 'jsonl' | 'csv';

/** The job's results (only those in `status`, if given) as records, a page at a time. */
export async function* resultPages(
  session: Session,
  jobId: string,
  status?: UnitStatus,
): AsyncGenerator<ResultRecord[]> {
  await requireJob(session, jobId);
  for await (const rows of streamResults(session.db, jobId, status)) yield rows.map(resultRecord);
}

/** The results as text in the format, a chunk of whole lines at a time (CSV starts with its header). */
export async function* resultText(
  session: Session,
  jobId: string,
  options: { format: ResultFormat; status?: UnitStatus },
): AsyncGenerator<{ text: string; units: number }> {
  const csv = options.format === 'csv';
  if (csv) yield { text: stringify([[...RESULT_COLUMNS]]), units: 0 };
  for await (const page of resultPages(session, jobId, options.status)) {
    const text = csv
      ? stringify(page.map((r) => RESULT_COLUMNS.map((c) => r[c])))
      : `${page.map((r) => JSON.stringify(r)).join('\n')}\n`;
    yield { text, units: page.length };
  }
}
