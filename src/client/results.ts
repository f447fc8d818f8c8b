/** A job's results as records, JSONL or CSV, streamed from one snapshot of the job. */
import { stringify } from 'csv-stringify/sync';
import type { UnitStatus } from '../domain/index.js';
import { outputFields, type OutputSchema } from '../spec/outputSchema.js';
import type { JobSpec } from '../spec/schema.js';
import type { JobRow } from '../store/jobs.js';
import { streamResults, type ResultRow } from '../store/results.js';
import type { Session } from './session.js';
import { requireJob } from './units.js';

/**
 * The documented shape of one unit's result; `output` when its job asks for structured output,
 * `verified` and `verifyRuns` when it has a verify step.
 */
export function resultRecord(
  u: ResultRow,
  withOutput = u.output !== null && u.output !== undefined,
  withVerify = u.verifyRuns !== null && u.verifyRuns !== undefined,
) {
  return {
    unitId: u.unitId,
    key: u.key,
    status: u.status,
    result: u.result,
    ...(withOutput ? { output: u.output ?? null } : {}),
    ...(withVerify ? { verified: u.verified ?? null, verifyRuns: u.verifyRuns ?? [] } : {}),
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
  const job = await requireJob(session, jobId);
  const withOutput = outputSchemaOf(job) !== null;
  const withVerify = (job.spec as Partial<JobSpec>).verify !== undefined;
  for await (const rows of streamResults(session.db, jobId, status))
    yield rows.map((r) => resultRecord(r, withOutput, withVerify));
}

/**
 * The results as text in the format, a chunk of whole lines at a time (CSV starts with its
 * header; with structured output, one `output.FIELD` column per top-level field of the schema).
 */
export async function* resultText(
  session: Session,
  jobId: string,
  options: { format: ResultFormat; status?: UnitStatus },
): AsyncGenerator<{ text: string; units: number }> {
  const csv = options.format === 'csv';
  const job = csv ? await requireJob(session, jobId) : null;
  const schema = job ? outputSchemaOf(job) : null;
  const fields = schema ? outputFields(schema) : [];
  const verified = job !== null && (job.spec as Partial<JobSpec>).verify !== undefined ? ['verified'] : [];
  if (csv) yield { text: stringify([[...RESULT_COLUMNS, ...verified, ...fields.map((f) => `output.${f}`)]]), units: 0 };
  for await (const page of resultPages(session, jobId, options.status)) {
    const text = csv
      ? stringify(
          page.map((r) => [
            ...RESULT_COLUMNS.map((c) => r[c]),
            ...verified.map(() => ('verified' in r ? r.verified : null)),
            ...fields.map((f) => cell(r, f)),
          ]),
        )
      : `${page.map((r) => JSON.stringify(r)).join('\n')}\n`;
    yield { text, units: page.length };
  }
}

function outputSchemaOf(job: JobRow): OutputSchema | null {
  return (job.spec as Partial<JobSpec>).output?.schema ?? null;
}

/** One output field as a CSV cell: scalars as they are, objects and arrays as JSON. */
function cell(record: ResultRecord, field: string): unknown {
  const output = 'output' in record ? record.output : null;
  const value = output && typeof output === 'object' ? (output as Record<string, unknown>)[field] : undefined;
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}
