/** Records: the payload of a unit, as a source read it (JSON values, nested objects kept). */

/**
 * A field of a record by its exact name first (a CSV header may contain a dot), else by its
 * dotted path (`customer.address.city`, `tags.0`). Undefined when the record has no such field;
 * records hold JSON values, so undefined never is a value.
 */
export function fieldAt(record: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(record, name)) return record[name];
  let value: unknown = record;
  for (const segment of name.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}
