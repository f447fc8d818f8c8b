/** A job's results as records, JSONL or CSV, streamed from one snapshot of the job. */
import { stringify } from 'csv-stringify/sync';
import type { UnitStatus } from '../domain/index.js';
import { UsageError } from '../errors.js';
import { outputFields } from '../spec/outputSchema.js';
import type { JobSpec } from '../spec/schema.js';
import type { JobRow } from '../store/jobs.js';
import { pageResults, streamResults, type ResultPosition, type ResultRow, type ResultSort } from '../store/results.js';
export type { ResultSort };
import type { Session } from './session.js';
import { requireJob } from './units.js';

/** What a job's results carry besides the usual columns. */
export interface ResultShape {
  /** Structured output: `output`. */
  withOutput: boolean;
  /** A verify step: `verified`, `verifyRuns`. */
  withVerify: boolean;
  /** A worktree per unit: `branch`, `commit`, `filesChanged`, `insertions`, `deletions`. */
  withChanges: boolean;
}

/** The documented shape of one unit's result, with the extra fields its job's shape asks for. */
export function resultRecord(
  u: ResultRow,
  shape: ResultShape = {
    withOutput: u.output !== null && u.output !== undefined,
    withVerify: u.verifyRuns !== null && u.verifyRuns !== undefined,
    withChanges: u.changes !== null && u.changes !== undefined,
  },
) {
  const changes = u.changes ?? null;
  return {
    unitId: u.unitId,
    key: u.key,
    status: u.status,
    result: u.result,
    ...(shape.withOutput ? { output: u.output ?? null } : {}),
    ...(shape.withVerify ? { verified: u.verified ?? null, verifyRuns: u.verifyRuns ?? [] } : {}),
    ...(shape.withChanges
      ? {
          branch: changes?.branch ?? null,
          commit: changes?.commit ?? null,
          filesChanged: changes?.filesChanged ?? null,
          insertions: changes?.insertions ?? null,
          deletions: changes?.deletions ?? null,
        }
      : {}),
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

export const CHANGE_COLUMNS = ['branch', 'commit', 'filesChanged', 'insertions', 'deletions'] as const;

/** What a job's results carry besides the usual columns, from its spec (and the output's fields). */
function resultShape(job: JobRow): ResultShape & { fields: string[] } {
  const spec = job.spec as Partial<JobSpec>;
  const schema = spec.output?.schema ?? null;
  return {
    withOutput: schema !== null,
    withVerify: spec.verify !== undefined,
    withChanges: spec.isolation !== undefined,
    fields: schema ? outputFields(schema) : [],
  };
}

export interface ResultPage {
  units: ResultRecord[];
  /** Give it back as `cursor` for the next page; null after the last. */
  nextCursor: string | null;
}

/**
 * One page of the job's results, for front ends that page (MCP, the dashboard): in unit order, or
 * most expensive / longest first.
 */
export async function resultPage(
  session: Session,
  jobId: string,
  options: { status?: UnitStatus; q?: string; sort?: ResultSort; cursor?: string; limit?: number } = {},
): Promise<ResultPage> {
  const job = await requireJob(session, jobId);
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
  const sort = options.sort ?? 'unit';
  const after = options.cursor === undefined ? null : position(options.cursor, sort);
  const rows = await pageResults(session.db, jobId, { status: options.status, q: options.q, sort, after, limit });
  const shape = resultShape(job);
  const last = rows.at(-1);
  return {
    units: rows.map((r) => resultRecord(r, shape)),
    nextCursor:
      rows.length === limit && last
        ? sort === 'unit'
          ? String(last.unitId)
          : `${last.sortValue}:${last.unitId}`
        : null,
  };
}

/** Where the page a cursor came from ended: `UNIT` in unit order, `VALUE:UNIT` sorted. */
function position(cursor: string, sort: ResultSort): ResultPosition {
  const parts = sort === 'unit' ? [cursor, cursor] : cursor.split(':');
  const [value, unitId] = parts.map(Number);
  if (parts.length !== 2 || !Number.isFinite(value) || !Number.isInteger(unitId) || unitId! < 0)
    throw new UsageError(`cursor ${JSON.stringify(cursor)} is not one a page gave`, 'pass nextCursor as it came');
  return { value: value!, unitId: unitId! };
}

/** The job's results (only those in `status`, if given) as records, a page at a time. */
export async function* resultPages(
  session: Session,
  jobId: string,
  status?: UnitStatus,
): AsyncGenerator<ResultRecord[]> {
  yield* pagesOf(session, await requireJob(session, jobId), status);
}

async function* pagesOf(session: Session, job: JobRow, status?: UnitStatus): AsyncGenerator<ResultRecord[]> {
  const shape = resultShape(job);
  for await (const rows of streamResults(session.db, job.id, status)) yield rows.map((r) => resultRecord(r, shape));
}

/**
 * The results as text in the format, a chunk of whole lines at a time (CSV starts with its
 * header; with verify a `verified` column, with a worktree per unit its change columns, with
 * structured output one `output.FIELD` column per top-level field of the schema).
 */
export async function* resultText(
  session: Session,
  jobId: string,
  options: { format: ResultFormat; status?: UnitStatus },
): AsyncGenerator<{ text: string; units: number }> {
  const job = await requireJob(session, jobId);
  const csv = options.format === 'csv';
  const { withVerify, withChanges, fields } = resultShape(job);
  const verified = withVerify ? ['verified'] : [];
  const changes = withChanges ? CHANGE_COLUMNS : [];
  if (csv)
    yield {
      text: stringify([[...RESULT_COLUMNS, ...verified, ...changes, ...fields.map((f) => `output.${f}`)]]),
      units: 0,
    };
  for await (const page of pagesOf(session, job, options.status)) {
    const text = csv
      ? stringify(
          page.map((r) => [
            ...RESULT_COLUMNS.map((c) => r[c]),
            ...verified.map(() => ('verified' in r ? r.verified : null)),
            ...changes.map((c) => (c in r ? (r as Record<string, unknown>)[c] : null)),
            ...fields.map((f) => cell(r, f)),
          ]),
        )
      : `${page.map((r) => JSON.stringify(r)).join('\n')}\n`;
    yield { text, units: page.length };
  }
}

/** One output field as a CSV cell: scalars as they are, objects and arrays as JSON. */
function cell(record: ResultRecord, field: string): unknown {
  const output = 'output' in record ? record.output : null;
  const value = output && typeof output === 'object' ? (output as Record<string, unknown>)[field] : undefined;
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}
