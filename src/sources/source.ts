/**
 * The source seam: a kind turns its spec section into records, streamed in a stable order. Each
 * kind lives in its own folder (schema, implementation, tests) and is one line of the registry
 * in `index.ts`; keys, limits, empty sources and key checks are common and live in `units.ts`.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { UnitPayload } from '../domain/index.js';

/** One record as the source read it. */
export interface SourceRecord {
  /** The record itself, nested objects kept: the unit's payload and its template values. */
  payload: UnitPayload;
  /** Where it came from, for messages: "line 12 of products.csv", "row 3", "/items/4". */
  origin: string;
  /** The key this kind gives the record when the spec names no key field (files, command lines). */
  naturalKey?: string;
}

/** What a read may need that is never stored with the job. */
export interface ReadContext {
  /** A database connection string given on the command line (`--db`), for this read only. */
  databaseUrl?: string;
  /** Environment to read `urlEnv` and friends from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** In a pipeline: the units of an upstream stage in a status, as records (the `stage` source). */
  upstream?: (stage: string, status: string) => AsyncIterable<SourceRecord>;
}

export interface SourceKind<Spec extends { type: string }> {
  type: Spec['type'];
  schema: z.ZodType<Spec>;
  /** Placeholders every record fills, when the kind fixes them; null when fields come from each record. */
  fields: readonly string[] | null;
  /** Make relative paths absolute against `baseDir`, so the stored spec means the same on any worker. */
  resolve(spec: Spec, baseDir: string): Spec;
  /** Cheap checks before any server is contacted (the file exists): a SourceError says what to fix. */
  check?(spec: Spec, ctx: ReadContext): Promise<void>;
  /** The records, streamed; stopping the iteration early (a limit) releases whatever the read holds. */
  read(spec: Spec, ctx: ReadContext): AsyncIterable<SourceRecord>;
  /** Why there are no records, said the way this kind would ("the query returned no rows"). */
  empty(spec: Spec): SourceError;
  /** The directory an agent working on this unit may need (`agent.addDirs: unit`), if any. */
  unitDirectory?(payload: UnitPayload): string | null;
  /** Where agents work unless the spec says (`agent.cwd`); default: the spec's directory. */
  workingDirectory?(spec: Spec): string;
  /** One line for people: "rows of products.csv". */
  describe(spec: Spec): string;
}

export class SourceError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

const positiveInt = z.number().int().positive();

/** Fields every kind accepts: `key` names the field that identifies a unit, `limit` takes the first N. */
export const commonSourceFields = {
  key: z.string().min(1, 'the key field name is empty').optional(),
  limit: positiveInt.optional(),
};

/** A path in a spec: made absolute against the spec's directory (or the shell's, for flags). */
export const pathField = z.string().min(1, 'the path is empty');

/** `resolve` for kinds that read one file at `path`. */
export function resolvePath<Spec extends { path: string }>(spec: Spec, baseDir: string): Spec {
  return { ...spec, path: path.resolve(baseDir, spec.path) };
}

/** A file a source reads must exist and be a file: checked before anything else happens. */
export async function checkReadableFile(file: string, what: string): Promise<void> {
  let found;
  try {
    found = await stat(file);
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    if (code === 'ENOENT') {
      throw new SourceError(
        `${what} ${file} does not exist`,
        'check the path (relative paths start at the spec file, or at your shell for flags)',
      );
    }
    throw new SourceError(`cannot read ${what} ${file}: ${message}`);
  }
  if (!found.isFile()) throw new SourceError(`${what} ${file} is not a file`, 'give the path of a file');
}

/**
 * A record as it will be stored (JSON): dates become ISO strings, big integers strings, byte
 * arrays base64. What templates are checked against is then exactly what the agent will see.
 */
export function jsonRecord(value: object, origin: string): Record<string, unknown> {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      return v;
    });
  } catch (err) {
    throw new SourceError(`the record at ${origin} cannot be stored as JSON: ${(err as Error).message}`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}
