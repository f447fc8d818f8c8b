/**
 * Versioned schema migrations, applied in order at startup under an advisory lock, each in its
 * own transaction, so any number of workers and CLIs can start at once against one database.
 * Never edit a released migration: append a new one.
 */
import type pg from 'pg';

export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'jobs, prompt versions, units, attempts, events',
    sql: `
      CREATE TABLE jobs (
        id            text PRIMARY KEY,
        name          text NOT NULL,
        spec          jsonb NOT NULL,
        source_type   text NOT NULL,
        total_units   integer NOT NULL,
        state         text NOT NULL DEFAULT 'CREATED',
        message       text,
        cost_usd      double precision NOT NULL DEFAULT 0,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE prompt_versions (
        job_id        text NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        version       integer NOT NULL,
        template      text NOT NULL,
        feedback      text,
        revision_id   text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, version),
        UNIQUE (job_id, revision_id)
      );

      CREATE TABLE units (
        job_id           text NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        unit_id          integer NOT NULL,
        key              text NOT NULL,
        payload          jsonb NOT NULL,
        status           text NOT NULL DEFAULT 'pending',
        template_version integer,
        result           text,
        error            text,
        cost_usd         double precision NOT NULL DEFAULT 0,
        session_id       text,
        attempts         integer NOT NULL DEFAULT 0,
        duration_ms      integer,
        updated_at       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, unit_id),
        UNIQUE (job_id, key)
      );
      CREATE INDEX units_by_status ON units (job_id, status, unit_id);

      CREATE TABLE attempts (
        id               bigserial PRIMARY KEY,
        job_id           text NOT NULL,
        unit_id          integer NOT NULL,
        attempt          integer NOT NULL,
        template_version integer NOT NULL,
        phase            text NOT NULL,
        -- the execution of the unit (one scheduled activity and its retries): its cost is summed by it
        run_key           text NOT NULL,
        prompt           text NOT NULL,
        started_at       timestamptz NOT NULL DEFAULT now(),
        finished_at      timestamptz,
        session_id       text,
        result           text,
        is_error         boolean,
        subtype          text,
        terminal_reason  text,
        api_error_status integer,
        num_turns        integer,
        cost_usd         double precision NOT NULL DEFAULT 0,
        duration_ms      integer,
        exit_code        integer,
        error_type       text,
        error            text,
        stderr_tail      text,
        tools_used       text[] NOT NULL DEFAULT '{}',
        FOREIGN KEY (job_id, unit_id) REFERENCES units(job_id, unit_id) ON DELETE CASCADE
      );
      CREATE INDEX attempts_by_unit ON attempts (job_id, unit_id, id);
      CREATE INDEX attempts_by_run ON attempts (run_key);

      CREATE TABLE events (
        id          bigserial PRIMARY KEY,
        attempt_id  bigint NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
        seq         integer NOT NULL,
        type        text NOT NULL,
        subtype     text,
        data        jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (attempt_id, seq)
      );
    `,
  },
  {
    version: 2,
    name: 'records as their sources wrote them; where each unit came from',
    // json, not jsonb: {{_json}} must show a record's fields in the source's order. Creating a job
    // writes every unit at once: measured on 100k units, the foreign key to jobs cost 15% and
    // the (job_id, status, unit_id) index 17% of the insert. Units are deleted with their job by
    // deleteJob; pending units are paged along the primary key, where they are contiguous.
    sql: `
      ALTER TABLE units ALTER COLUMN payload TYPE json USING payload::json;
      ALTER TABLE units ADD COLUMN origin text;
      ALTER TABLE units DROP CONSTRAINT units_job_id_fkey;
      DROP INDEX units_by_status;
    `,
  },
  {
    version: 3,
    name: 'idempotency keys',
    // The unique index is what makes two racing creates with one key end with one job.
    sql: `
      ALTER TABLE jobs ADD COLUMN idempotency_key text, ADD COLUMN spec_hash text;
      CREATE UNIQUE INDEX jobs_by_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'structured output',
    sql: `
      ALTER TABLE attempts ADD COLUMN output jsonb;
      ALTER TABLE units ADD COLUMN output jsonb;
    `,
  },
  {
    version: 5,
    name: 'verify runs',
    sql: `ALTER TABLE units ADD COLUMN verified boolean, ADD COLUMN verify_runs jsonb;`,
  },
  {
    version: 6,
    name: 'worktree changes',
    sql: `
      ALTER TABLE attempts ADD COLUMN changes jsonb;
      ALTER TABLE units ADD COLUMN changes jsonb;
    `,
  },
  {
    version: 7,
    name: 'aggregate report',
    sql: `ALTER TABLE jobs ADD COLUMN report text, ADD COLUMN report_cost_usd double precision NOT NULL DEFAULT 0;`,
  },
  {
    version: 8,
    name: 'pipelines',
    sql: `
      CREATE TABLE pipelines (
        id          text PRIMARY KEY,
        name        text NOT NULL,
        spec        jsonb NOT NULL,
        state       text NOT NULL DEFAULT 'RUNNING',
        message     text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      );
      ALTER TABLE jobs ADD COLUMN pipeline_id text REFERENCES pipelines (id), ADD COLUMN stage text;
      CREATE UNIQUE INDEX jobs_pipeline_stage ON jobs (pipeline_id, stage) WHERE pipeline_id IS NOT NULL;
    `,
  },
  {
    version: 9,
    name: 'fencing tokens: an attempt writes its unit only while it holds the latest',
    sql: `ALTER TABLE units ADD COLUMN fence integer NOT NULL DEFAULT 0;`,
  },
  {
    version: 10,
    name: 'units a worker holds until it has the memory to start their agents',
    sql: `
      CREATE TABLE memory_holds (
        job_id        text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        worker        text NOT NULL,
        units         integer NOT NULL,
        available_mb  integer NOT NULL,
        need_mb       integer NOT NULL,
        since         timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, worker)
      );
    `,
  },
];

const LOCK_KEY = 0x61626174; // "abat": one lock id for this schema

export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
