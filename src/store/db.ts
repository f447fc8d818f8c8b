/** The Postgres pool every part shares, with connection failures turned into plain words. */
import pg from 'pg';
import { redactUrl } from '../redact.js';
import { migrate } from './migrations.js';

// numeric/bigint columns come back as strings by default; our counts and sums fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

export type Db = pg.Pool;

export class DatabaseUnavailableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`cannot reach Postgres at ${redactUrl(url)}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'DatabaseUnavailableError';
  }
}

/** Open a pool, check it answers, and bring the schema up to date. */
export async function openDatabase(url: string, options: { max?: number } = {}): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: 5000 });
  // An idle client's network error must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnavailableError(url, err);
  }
  return pool;
}
