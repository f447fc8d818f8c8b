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
  /** Unique over all jobs when given; with the hash of the spec it came with. */
  idempotency?: { key: string; specHash: string };
  /** A pipeline's stage: the pipeline and the stage's name. */
  pipeline?: { id: string; stage: string };
}

/** Another job holds the idempotency key (it committed while this one was being stored). */
export class IdempotencyKeyTaken extends Error {
  constructor(readonly key: string) {
    super(`idempotency key ${JSON.stringify(key)} is taken`);
    this.name = 'IdempotencyKeyTaken';
  }
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
/** A job this big changes the units table enough for its statistics to matter. */
const ANALYZE_FROM = 10_000;

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
    // First, so a create racing with one key waits here for the other's commit, then finds the key taken.
    await client
      .query(
        `INSERT INTO jobs (id, name, spec, source_type, total_units, idempotency_key, spec_hash, pipeline_id, stage)
         VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8)`,
        [
          job.id,
          job.name,
          pgJson(job.spec),
          job.sourceType,
          job.idempotency?.key,
          job.idempotency?.specHash,
          job.pipeline?.id ?? null,
          job.pipeline?.stage ?? null,
        ],
      )
      .catch((err: unknown) => {
        const pgErr = err as { code?: string; constraint?: string };
        if (pgErr.code === '23505' && job.idempotency) throw new IdempotencyKeyTaken(job.idempotency.key);
        throw err;
      });
    await client.query('INSERT INTO prompt_versions (job_id, version, template) VALUES ($1, 1, $2)', [
      job.id,
      job.template,
    ]);

    let total = 0;
    let batch = new Batch();
    let inFlight: Promise<void> | null = null;
    const flush = async (): Promise<void> => {
      if (batch.size === 0) return;
      const stored = total + batch.size;
      const next = insertBatch(client, job.id, total, batch).then(() => onProgress(stored));
      total = stored;
      batch = new Batch();
      // Wait for the previous batch only now, so reading the source overlaps with Postgres' work.
      if (inFlight) await inFlight;
      inFlight = next;
      // A rejection is awaited later; until then it must not count as unhandled.
      next.catch(() => undefined);
    };
    for await (const unit of units) {
      batch.add(unit);
      if (batch.size >= BATCH) await flush();
    }
    await flush();
    if (inFlight) await inFlight;

    await client.query('UPDATE jobs SET total_units = $2 WHERE id = $1', [job.id, total]);
    await client.query('COMMIT');
    // Until the planner knows this job is big, it reads all of its units to page a few (measured:
    // cancelling 1M units took 56 s that way, and paging pending units grows with the job).
    // The job is stored by now: statistics that could not be gathered are no reason to fail it.
    if (total >= ANALYZE_FROM) await client.query('ANALYZE units').catch(() => undefined);
    return total;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Units on their way to Postgres, each serialized as it arrives, so a batch holds strings rather
 * than records. The batch travels as one JSON document, `[[key, origin, payload], …]`: one
 * serialization, no array encoding.
 */
class Batch {
  readonly rows: string[] = [];
  readonly keys: string[] = [];
  readonly origins: string[] = [];

  add(unit: NewUnit): void {
    this.rows.push(pgJson([unit.key, unit.origin, unit.payload]));
    this.keys.push(unit.key);
    this.origins.push(unit.origin);
  }

  get size(): number {
    return this.rows.length;
  }
}

/** Units numbered from `before + 1`; a key already taken names both records. */
async function insertBatch(client: pg.PoolClient, jobId: string, before: number, batch: Batch): Promise<void> {
  const { rowCount } = await client.query(
    `INSERT INTO units (job_id, unit_id, key, origin, payload)
     SELECT $1, $2::int + ord::int, u->>0, u->>1, u->2
     FROM json_array_elements($3::json) WITH ORDINALITY AS b(u, ord)
     ON CONFLICT (job_id, key) DO NOTHING`,
    [jobId, before, `[${batch.rows.join(',')}]`],
  );
  if (rowCount === batch.size) return;
  // Some were skipped: the first of this batch whose key belongs to another unit.
  const { rows } = await client.query<{ ord: number; origin: string | null; unitId: number }>(
    `SELECT b.ord::int AS ord, u.origin, u.unit_id AS "unitId"
     FROM unnest($2::text[]) WITH ORDINALITY AS b(key, ord)
     JOIN units u ON u.job_id = $1 AND u.key = b.key AND u.unit_id <> $3::int + b.ord::int
     ORDER BY b.ord LIMIT 1`,
    [jobId, batch.keys, before],
  );
  const clash = rows[0];
  if (!clash) throw new Error(`${batch.size - (rowCount ?? 0)} units of job ${jobId} were not stored`);
  throw new DuplicateKeyError(
    batch.keys[clash.ord - 1]!,
    clash.origin ?? `unit ${clash.unitId}`,
    batch.origins[clash.ord - 1]!,
  );
}
