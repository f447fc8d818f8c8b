/**
 * The registry of unit sources, by spec `source.type`: one line per kind. The spec's `source`
 * section is the union of the kinds' own schemas.
 */
import { z } from 'zod';
import { commandSource } from './command/command.js';
import { csvSource } from './csv/csv.js';
import { filesSource } from './files/files.js';
import { jsonSource } from './json/json.js';
import { jsonlSource } from './jsonl/jsonl.js';
import { moduleSource } from './module/module.js';
import type { SourceKind } from './source.js';
import { sqlSource } from './sql/sql.js';
import { sqliteSource } from './sqlite/sqlite.js';

const KINDS = {
  files: filesSource,
  csv: csvSource,
  json: jsonSource,
  jsonl: jsonlSource,
  sql: sqlSource,
  sqlite: sqliteSource,
  command: commandSource,
  module: moduleSource,
};

type Kinds = typeof KINDS;
type SpecOf<K> = K extends SourceKind<infer S> ? S : never;
/** A resolved `source` section: one of the kinds' specs. */
export type SourceSpec = { [T in keyof Kinds]: SpecOf<Kinds[T]> }[keyof Kinds];
export type SourceType = keyof Kinds;

export const SOURCE_TYPES = Object.keys(KINDS) as SourceType[];

export const sourceSchema = z.discriminatedUnion(
  'type',
  Object.values(KINDS).map((k) => k.schema) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<SourceSpec>;

export function sourceKind<S extends SourceSpec>(spec: S): SourceKind<S> {
  return KINDS[spec.type] as unknown as SourceKind<S>;
}

/** The fields a `source` section of this type may have, for "unknown field" hints. */
export function sourceFields(type: string): readonly string[] | null {
  const kind = (KINDS as Record<string, SourceKind<{ type: string }>>)[type];
  return kind ? Object.keys((kind.schema as unknown as z.ZodObject).shape) : null;
}

export { SourceError, type ReadContext, type SourceKind } from './source.js';
export { unitsOf } from './units.js';
