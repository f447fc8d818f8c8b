/**
 * Prompt templates: `{{name}}` placeholders over a unit's record. `{{a.b.c}}` follows nested
 * objects (and array indexes); `{{_key}}`, `{{_index}}` (1-based) and `{{_json}}` (the whole
 * record) exist for every unit. Objects and arrays render as JSON, null as nothing. Deliberately
 * tiny: no logic, no escaping, and a placeholder without a value is an error before anything
 * runs, never an empty string.
 */
import { fieldAt, type UnitPayload } from '../domain/index.js';

/** A field name: starts with a letter, `_` or `$`; may hold digits, `-` and single inner spaces (CSV headers). */
const SEGMENT = String.raw`[A-Za-z_$][\w$-]*(?: [\w$-]+)*`;
const PATH = String.raw`${SEGMENT}(?:\.(?:${SEGMENT}|\d+))*`;
const PLACEHOLDER = new RegExp(String.raw`\{\{\s*(${PATH})\s*\}\}`, 'g');
const MALFORMED = new RegExp(String.raw`\{\{(?!\s*${PATH}\s*\}\})`);

const RESERVED_PLACEHOLDERS = ['_key', '_index', '_json'] as const;
const RESERVED: ReadonlySet<string> = new Set(RESERVED_PLACEHOLDERS);

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** What a template is rendered with: the unit's key, its 1-based position and its record. */
export interface TemplateUnit {
  key: string;
  index: number;
  payload: UnitPayload;
}

/** Every placeholder path, once each, in order of first use. */
export function placeholdersIn(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/**
 * Check a template's syntax, and, when the source fixes its fields (files, command lines), that
 * every placeholder is one of them. With `fields` null the fields come from each record and are
 * checked per record (`missingPlaceholder`). `what` names the template in messages.
 */
export function validateTemplate(template: string, fields: readonly string[] | null, what = 'the prompt'): void {
  if (!template.trim()) throw new TemplateError(`${what} is empty`, 'give the agent something to do');
  const malformed = MALFORMED.exec(template);
  if (malformed) {
    const line = template.slice(0, malformed.index).split('\n').length;
    const excerpt = template.slice(malformed.index, malformed.index + 24).split('\n')[0];
    throw new TemplateError(
      `malformed placeholder "${excerpt}" on line ${line} of ${what}`,
      'write placeholders as {{field}} or {{field.nested}}; a field name starts with a letter or _',
    );
  }
  if (fields === null) return;
  const available = [...fields, ...RESERVED_PLACEHOLDERS];
  const unknown = placeholdersIn(template).filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    const list = unknown.map((n) => `{{${n}}}`).join(', ');
    throw new TemplateError(
      `unknown placeholder${unknown.length > 1 ? 's' : ''} ${list} in ${what}`,
      `available: ${available.map((n) => `{{${n}}}`).join(', ')}`,
    );
  }
}

/** Finds a stored record without one of the fields: which field, and where the record came from. */
export type FindMissingField = (fields: string[]) => Promise<{ field: string; record: string } | null>;

/**
 * Check a template for units already stored (a revised prompt): its syntax and fixed fields as
 * `validateTemplate` does, and when the fields come from records, every stored record, which
 * `findMissing` searches.
 */
export async function checkTemplateForStoredUnits(
  template: string,
  fields: readonly string[] | null,
  findMissing: FindMissingField,
  what = 'the prompt',
): Promise<void> {
  validateTemplate(template, fields, what);
  if (fields !== null) return;
  const missing = await findMissing(placeholdersIn(template).filter((name) => !RESERVED.has(name)));
  if (missing) {
    throw new TemplateError(
      `${what} uses {{${missing.field}}}, which the record at ${missing.record} does not have`,
      'use fields every record has (see one with `agentic-batch show JOB UNIT --json`)',
    );
  }
}

/** The first of `placeholders` the record has no value for (null counts as a value), or null. */
export function missingPlaceholder(placeholders: readonly string[], payload: UnitPayload): string | null {
  return placeholders.find((name) => !RESERVED.has(name) && fieldAt(payload, name) === undefined) ?? null;
}

export function renderTemplate(template: string, unit: TemplateUnit): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = valueOf(unit, name);
    if (value === undefined) throw new TemplateError(`the unit ${unit.key} has no value for {{${name}}}`);
    if (value === null) return '';
    return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

function valueOf(unit: TemplateUnit, name: string): unknown {
  if (name === '_key') return unit.key;
  if (name === '_index') return unit.index;
  if (name === '_json') return unit.payload;
  return fieldAt(unit.payload, name);
}
