/**
 * The `sqlite` source: one unit per row a query returns from an SQLite file, opened read-only.
 * node-sqlite3-wasm is SQLite compiled to WebAssembly with file-system access: `npm ci`
 * installs it from the npm registry alone (no native build, no binary download), and it
 * reads pages from disk as the query steps instead of loading the file.
 */
import path from 'node:path';
import type sqlite from 'node-sqlite3-wasm';
import { z } from 'zod';
import {
  checkReadableFile,
  commonSourceFields,
  jsonRecord,
  pathField,
  SourceError,
  type SourceKind,
  resolvePath,
} from '../source.js';

export const sqliteSourceSchema = z.strictObject({
  type: z.literal('sqlite'),
  path: pathField,
  query: z.string().min(1, 'the query is empty'),
  ...commonSourceFields,
});
export type SqliteSourceSpec = z.output<typeof sqliteSourceSchema>;

export const sqliteSource: SourceKind<SqliteSourceSpec> = {
  type: 'sqlite',
  schema: sqliteSourceSchema,
  fields: null,

  resolve: resolvePath,

  async check(spec) {
    await checkReadableFile(spec.path, 'the SQLite file');
    const db = await open(spec);
    try {
      prepare(db, spec).finalize();
    } finally {
      db.close();
    }
  },

  async *read(spec) {
    const db = await open(spec);
    let statement: sqlite.Statement | null = null;
    try {
      statement = prepare(db, spec);
      let row = 0;
      for (const values of statement.iterate()) {
        row += 1;
        const origin = `row ${row} of the query`;
        yield { payload: jsonRecord(values as Record<string, unknown>, origin), origin };
      }
    } catch (err) {
      throw err instanceof SourceError ? err : queryError(err, spec);
    } finally {
      // Finalizing repeats the error of a failed step: it was reported above.
      try {
        statement?.finalize();
      } catch {
        // reported above
      }
      db.close();
    }
  },

  empty: (spec) =>
    new SourceError(
      `the query returned no rows from ${path.basename(spec.path)}`,
      'check its WHERE clause; every row becomes a unit',
    ),

  describe: (spec) => `rows of a query on ${spec.path}`,
};

/** SQLite's WebAssembly is loaded only by jobs that use it. */
async function open(spec: SqliteSourceSpec): Promise<sqlite.Database> {
  const { default: wasm } = await import('node-sqlite3-wasm');
  try {
    return new wasm.Database(spec.path, { readOnly: true });
  } catch (err) {
    throw new SourceError(
      `cannot open ${spec.path} as an SQLite database: ${(err as Error).message}`,
      'check that it is an SQLite file',
    );
  }
}

function prepare(db: sqlite.Database, spec: SqliteSourceSpec): sqlite.Statement {
  try {
    return db.prepare(spec.query);
  } catch (err) {
    throw queryError(err, spec);
  }
}

function queryError(err: unknown, spec: SqliteSourceSpec): SourceError {
  const message = (err as Error).message;
  if (/readonly database/i.test(message)) {
    return new SourceError(
      `the query was refused: ${message}`,
      'a source query only reads (the file is opened read-only): use SELECT',
    );
  }
  if (/file is not a database/i.test(message))
    return new SourceError(`${spec.path} is not an SQLite database`, 'check the path');
  return new SourceError(
    `the query on ${path.basename(spec.path)} failed: ${message}`,
    'fix the SQL; try it in the sqlite3 shell first',
  );
}
