/** A job's results as records, JSONL or CSV, streamed a page at a time. */
import { stringify } from 'csv-stringify/sync';
import type { UnitStatus } from '../domain/index.js';
import type { Session } from './session.js';
import { allUnits, requireJob, type UnitRow } from './units.js';

export function resultRecord(u: UnitRow) {
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

/** The job's results as lines of the format (CSV starts with its header). */
export async function* resultLines(
  session: Session,
  jobId: string,
  options: { format: ResultFormat; status?: UnitStatus },
): AsyncGenerator<string> {
  await requireJob(session, jobId);
  if (options.format === 'csv') yield csvLine([...RESULT_COLUMNS]);
  for await (const unit of allUnits(session, jobId, options.status)) {
    const record = resultRecord(unit);
    yield options.format === 'csv' ? csvLine(RESULT_COLUMNS.map((c) => record[c])) : JSON.stringify(record);
  }
}

/** One RFC 4180 row, without its line ending (null and undefined are empty cells). */
function csvLine(cells: unknown[]): string {
  return stringify([cells], { record_delimiter: '' });
}
