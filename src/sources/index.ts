/** The registry of unit sources, by spec `source.type`. */
import type { SourceSpec } from '../spec/schema.js';
import { filesSource } from './files.js';
import type { UnitSource } from './source.js';

const SOURCES: { [K in SourceSpec['type']]: UnitSource<Extract<SourceSpec, { type: K }>> } = { files: filesSource };

export function sourceFor<S extends SourceSpec>(spec: S): UnitSource<S> {
  return SOURCES[spec.type] as unknown as UnitSource<S>;
}

export { SourceError } from './source.js';
