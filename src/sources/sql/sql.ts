/**
 * The `sql` source: one unit per row a Postgres query returns. The connection string comes from
 * `--db` or the environment variable `urlEnv` names (default SOURCE_DATABASE_URL), at create
 * time only: it is never stored with the job or printed (messages show it redacted). The query
 * runs in a READ ONLY transaction with a statement timeout and is read through a cursor, a page
 * at a time, so a query that writes fails with Postgres's own reason and changes nothing. It is
 * one statement: checked and read with the extended query protocol, which admits one (through
 * the simple one, `SELECT …; COMMIT; CREATE TABLE …` ended the transaction and wrote), on a
 * session whose every transaction is read-only.
 */
import pg from 'pg';
import Cursor from 'pg-cursor';
import { z } from 'zod';
import { redactUrl, scrubSecrets } from '../../redact.js';
import { commonSourceFields, jsonRecord, SourceError, type ReadContext, type SourceKind } from '../source.js';

export const sqlSourceSchema = z.strictObject({
  type: z.literal('sql'),
  query: z.string().min(1, 'the query is empty'),
  urlEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .default('SOURCE_DATABASE_URL'),
  ...commonSourceFields,
});
export type SqlSourceSpec = z.output<typeof sqlSourceSchema>;

const PAGE = 1000;
const STATEMENT_TIMEOUT = '5min';

export const sqlSource: SourceKind<SqlSourceSpec> = {
  type: 'sql',
  schema: sqlSourceSchema,
  fields: null,

  resolve: (spec) => spec,

  /** Connects and prepares the query, so a bad URL, bad SQL or a second statement is reported before anything starts. */
  async check(spec, ctx) {
    await withReadOnly(spec, ctx, async (client) => {
      // A named query goes through the extended protocol, whose Parse admits one statement.
      await client.query({ name: 'agentic-batch-check', text: `PREPARE agentic_batch_check AS ${spec.query}` });
    });
  },

  async *read(spec, ctx) {
    const url = databaseUrl(spec, ctx);
    const client = await connect(url);
    let cursor: Cursor | null = null;
    try {
      await client.query('BEGIN TRANSACTION READ ONLY');
      await client.query(`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT}'`);
      cursor = client.query(new Cursor(spec.query));
      let row = 0;
      for (;;) {
        const rows = await cursor.read(PAGE).catch((err: unknown) => {
          throw queryError(err, spec, url);
        });
        for (const values of rows as Record<string, unknown>[]) {
          row += 1;
          const origin = `row ${row} of the query`;
          yield { payload: jsonRecord(values, origin), origin };
        }
        if (rows.length < PAGE) break;
      }
    } finally {
      await cursor?.close().catch(() => undefined);
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  },

  empty: () =>
    new SourceError('the query returned no rows', 'check its WHERE clause; every row it returns becomes a unit'),

  describe: (spec) => `rows of \`${oneLine(spec.query)}\``,
};

/** --db wins; else the environment variable the spec names. */
function databaseUrl(spec: SqlSourceSpec, ctx: ReadContext): string {
  const url = ctx.databaseUrl ?? (ctx.env ?? process.env)[spec.urlEnv];
  if (!url) {
    throw new SourceError(
      `no database to run the query on: ${spec.urlEnv} is not set`,
      `pass --db postgres://USER@HOST/DB, or export ${spec.urlEnv} (source.urlEnv names another variable)`,
    );
  }
  return url;
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    types: { getTypeParser },
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // Every transaction of this session read-only, a second line behind the one statement (a
    // statement, not a startup option: PgBouncer refuses unknown startup parameters).
    await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new SourceError(
      `cannot connect to the source database ${redactUrl(url)}: ${scrubSecrets((err as Error).message, url)}`,
      'check the host, port, user, password and database name in the connection string',
    );
  }
  return client;
}

async function withReadOnly(
  spec: SqlSourceSpec,
  ctx: ReadContext,
  fn: (client: pg.Client) => Promise<void>,
): Promise<void> {
  const url = databaseUrl(spec, ctx);
  const client = await connect(url);
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
    await fn(client).catch((err: unknown) => {
      throw queryError(err, spec, url);
    });
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

function queryError(err: unknown, spec: SqlSourceSpec, url: string): SourceError {
  const e = err as pg.DatabaseError;
  const message = scrubSecrets(e.message ?? String(err), url);
  if (e.code === '25006') {
    return new SourceError(
      `the query was refused: ${message}`,
      'a source query only reads (it runs in a READ ONLY transaction): use SELECT',
    );
  }
  if (/multiple commands into a prepared statement/.test(message)) {
    return new SourceError(
      `the query is more than one statement: ${oneLine(spec.query)}`,
      'a source query is one SELECT (a `;` may end it, nothing may follow)',
    );
  }
  if (e.code === '42601' || e.code?.startsWith('42')) {
    const at = e.position
      ? ` (at character ${e.position}: "${spec.query.slice(Number(e.position) - 1, Number(e.position) + 19)}")`
      : '';
    return new SourceError(`the query failed: ${message}${at}`, 'fix the SQL; try it in psql first');
  }
  if (e.code === '57014')
    return new SourceError(
      `the query took longer than ${STATEMENT_TIMEOUT}: ${message}`,
      'narrow the query or add an index',
    );
  return new SourceError(`the query failed: ${message}`, 'try it in psql first');
}

// Values as the agent should see them: big numbers and decimals exact (as text when they would
// lose digits), dates and times as Postgres writes them, bytes as base64.
const BIGINT = 20;
const BYTEA = 17;
const AS_TEXT = new Set([1700, 1082, 1083, 1114, 1184, 1186, 1266]); // numeric, date, time, timestamp(tz), interval, timetz

function getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === BIGINT) return (v) => (Number.isSafeInteger(Number(v)) ? Number(v) : v);
  if (oid === BYTEA) return (v) => Buffer.from(v.slice(2), 'hex').toString('base64');
  if (AS_TEXT.has(oid)) return (v) => v;
  return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
}

function oneLine(query: string): string {
  const text = query.replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
