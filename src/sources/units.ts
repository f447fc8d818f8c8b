/**
 * From records to units, the same for every kind: the key (the spec's `key` field, else the
 * kind's natural key, else the 1-based record number), its checks (present, a string or number,
 * at most 512 characters), `limit`, and "no records" as an error. Streams: nothing is held.
 */
import { fieldAt, MAX_KEY_LENGTH, type NewUnit } from '../domain/index.js';
import { SourceError, type ReadContext, type SourceKind, type SourceRecord } from './source.js';

interface CommonSpec {
  type: string;
  key?: string;
  limit?: number;
}

/** `check` sees each unit before it is passed on, and stops everything by throwing. */
export async function* unitsOf<Spec extends CommonSpec>(
  kind: SourceKind<Spec>,
  spec: Spec,
  ctx: ReadContext,
  check: (unit: NewUnit) => void = () => undefined,
): AsyncGenerator<NewUnit> {
  let count = 0;
  for await (const record of kind.read(spec, ctx)) {
    count += 1;
    const key = keyOf(record, spec.key, count);
    if (key.length > MAX_KEY_LENGTH) {
      throw new SourceError(
        `the key of the record at ${record.origin} is ${key.length} characters long; keys may have at most ${MAX_KEY_LENGTH}`,
        spec.key
          ? `choose a shorter field as source.key (now "${spec.key}")`
          : 'name a short identifying field with source.key (--key)',
      );
    }
    const unit = { key, payload: record.payload, origin: record.origin };
    check(unit);
    yield unit;
    if (spec.limit !== undefined && count >= spec.limit) return;
  }
  if (count === 0) throw kind.empty(spec);
}

function keyOf(record: SourceRecord, field: string | undefined, index: number): string {
  if (field === undefined) return record.naturalKey ?? String(index);
  const value = fieldAt(record.payload, field);
  if (value === undefined || value === null || value === '') {
    throw new SourceError(
      `the record at ${record.origin} has no value for the key field "${field}"`,
      `every record needs a non-empty "${field}"; fields of this record: ${Object.keys(record.payload).slice(0, 12).join(', ')}`,
    );
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  throw new SourceError(
    `the key field "${field}" of the record at ${record.origin} is ${Array.isArray(value) ? 'an array' : 'an object'}, not a string or number`,
    'name a field whose values identify the records, such as an id',
  );
}
