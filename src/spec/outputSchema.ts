/**
 * Structured output: the spec's JSON Schema, checked once when the job is created and again
 * against every unit's output (by the worker, whatever the agent claims to have checked).
 */
import { Ajv, type ValidateFunction } from 'ajv';

export type OutputSchema = Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, strict: false });
/**
 * Compiled validators by schema object: a worker keeps each job's spec (and so its schema) in a
 * cache, so a job's schema is compiled once, and no unit pays for more than a lookup.
 */
const compiled = new WeakMap<OutputSchema, ValidateFunction>();

/** Why the schema cannot be used as a unit's output schema, or null when it can. */
export function schemaProblem(schema: OutputSchema): string | null {
  if (schema.type !== 'object') return 'it must describe an object (type: object): each unit gives one';
  try {
    validator(schema);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Why `value` does not fit the schema (each error with its path), or null when it does. */
export function outputProblem(schema: OutputSchema, value: unknown): string | null {
  const validate = validator(schema);
  if (validate(value)) return null;
  const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
  return errors.join('; ') || 'it does not fit the schema';
}

/**
 * The top-level fields of the schema, one results column each, in alphabetical order: the spec
 * is stored as jsonb, which keeps no key order.
 */
export function outputFields(schema: OutputSchema): string[] {
  const properties = schema.properties;
  return properties && typeof properties === 'object' ? Object.keys(properties).sort() : [];
}

function validator(schema: OutputSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}
