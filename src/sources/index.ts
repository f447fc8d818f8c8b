/**
 * The registry of unit sources, by spec `source.type`: one line per kind. The spec's `source`
 * section is the union of the kinds' own schemas.
 */
import { kindRegistry } from '../kinds.js';
import { commandSource } from './command/command.js';
import { csvSource } from './csv/csv.js';
import { filesSource } from './files/files.js';
import { jsonSource } from './json/json.js';
import { jsonlSource } from './jsonl/jsonl.js';
import { moduleSource } from './module/module.js';
import type { SourceKind } from './source.js';
import { sqlSource } from './sql/sql.js';
import { sqliteSource } from './sqlite/sqlite.js';
import { stageSource } from './stage/stage.js';

const KINDS = {
  files: filesSource,
  csv: csvSource,
  json: jsonSource,
  jsonl: jsonlSource,
  sql: sqlSource,
  sqlite: sqliteSource,
  command: commandSource,
  module: moduleSource,
  stage: stageSource,
};

type Kinds = typeof KINDS;
type SpecOf<K> = K extends SourceKind<infer S> ? S : never;
/** A resolved `source` section: one of the kinds' specs. */
export type SourceSpec = { [T in keyof Kinds]: SpecOf<Kinds[T]> }[keyof Kinds];

const registry = kindRegistry<Kinds, SourceSpec>(KINDS);

export const SOURCE_TYPES = registry.types;
export const sourceSchema = registry.schema;
/** The fields a `source` section of this type may have, for "unknown field" hints. */
export const sourceFields = registry.fields;

export function sourceKind<S extends SourceSpec>(spec: S): SourceKind<S> {
  return registry.kindOf(spec) as unknown as SourceKind<S>;
}

export { SourceError, type ReadContext, type SourceKind, type SourceRecord } from './source.js';
export { STAGE_FIELDS } from './stage/stage.js';
export { unitsOf } from './units.js';
