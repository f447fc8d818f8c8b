/**
 * Store a new job with its units as they stream from the source, in one transaction: a failure
 * anywhere (a bad record, a duplicate key, Ctrl-C) leaves nothing behind. Units go in batched
 * multi-row inserts, one batch in flight while the next is read, so no step holds all units.
 */
import type pg from 'pg';
import type { NewUnit } from '../domain/index.js';
import type { Db } from './db.js';
import { pgJson } from './pgSafe.js';

export interface NewJob {
  id: string;
  name: string;
  spec: unknown;
  sourceType: string;
  template: string;
}

/** Two units of one job share a key: both records are named. */
export class DuplicateKeyError extends Error {
  constructor(
    readonly key: string,
    readonly first: string,
    readonly second: string,
  ) {
    super(`duplicate key ${JSON.stringify(key)}: the records at ${first} and at ${second}`);
    this.name = 'DuplicateKeyError';
  }
}

const BATCH = 2000;

/** Returns how many units were stored; `onProgress` hears the count after each batch. */
export async function insertJob(
  db: Db,
  job: NewJob,
  units: AsyncIterable<NewUnit>,
  onProgress: (stored: number) => void = () => undefined,
): Promise<number> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO jobs (id, name, spec, source_type, total_units) VALUES ($1, $2, $3, $4, 0)', [
      job.id,
      job.name,
      pgJson(job.spec),
      job.sourceType,
    ]);
    await client.query('INSERT INTO prompt_versions (job_id, version, template) VALUES ($1, 1, $2)', [job.id, job.template]);

    let total = 0;
    let batch: NewUnit[] = [];
    let inFlight: Promise<void> | null = null;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const stored = total + batch.length;
      const next = insertBatch(client, job.id, total, batch).then(() => onProgress(stored));
      total = stored;
      batch = [];
      // Wait for the previous batch only now, so reading the source overlaps with Postgres' work.
      if (inFlight) await inFlight;
      inFlight = next;
      // A rejection is awaited later; until then it must not count as unhandled.
      next.catch(() => undefined);
    };
    for await (const unit of units) {
      batch.push(unit);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    if (inFlight) await inFlight;

    await client.query('UPDATE jobs SET total_units = $2 WHERE id = $1', [job.id, total]);
    await client.query('COMMIT');
    return total;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Units numbered from `before + 1`; a key already taken names both records. */
async function insertBatch(client: pg.PoolClient, jobId: string, before: number, units: readonly NewUnit[]): Promise<void> {
  const keys = units.map((u) => u.key);
  const { rowCount } = await client.query(
    `INSERT INTO units (job_id, unit_id, key, payload, origin)
     SELECT $1, $2::int + ord::int, key, payload, origin
     FROM unnest($3::text[], $4::json[], $5::text[]) WITH ORDINALITY AS u(key, payload, origin, ord)
     ON CONFLICT (job_id, key) DO NOTHING`,
    [jobId, before, keys, units.map((u) => pgJson(u.payload)), units.map((u) => u.origin)],
  );
  if (rowCount === units.length) return;
  // Some were skipped: the first of this batch whose key belongs to another unit.
  const { rows } = await client.query<{ ord: number; origin: string | null; unitId: number }>(
    `SELECT b.ord::int AS ord, u.origin, u.unit_id AS "unitId"
     FROM unnest($2::text[]) WITH ORDINALITY AS b(key, ord)
     JOIN units u ON u.job_id = $1 AND u.key = b.key AND u.unit_id <> $3::int + b.ord::int
     ORDER BY b.ord LIMIT 1`,
    [jobId, keys, before],
  );
  const clash = rows[0];
  if (!clash) throw new Error(`${units.length - (rowCount ?? 0)} units of job ${jobId} were not stored`);
  const unit = units[clash.ord - 1]!;
  throw new DuplicateKeyError(unit.key, clash.origin ?? `unit ${clash.unitId}`, unit.origin);
}
