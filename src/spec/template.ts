/**
 * Prompt templates: `{{name}}` placeholders over a unit's payload. Deliberately tiny: no logic,
 * no escaping, and an unknown placeholder is an error before anything runs, never an empty string.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const MALFORMED = /\{\{(?![\s]*[A-Za-z_][A-Za-z0-9_]*\s*\}\})/;

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

export function placeholdersIn(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** Throws a TemplateError naming every unknown or malformed placeholder and what is available. */
export function validateTemplate(template: string, available: readonly string[]): void {
  if (!template.trim()) throw new TemplateError('the prompt is empty', 'give the agent something to do');
  const malformed = MALFORMED.exec(template);
  if (malformed) {
    const line = template.slice(0, malformed.index).split('\n').length;
    const excerpt = template.slice(malformed.index, malformed.index + 24).split('\n')[0];
    throw new TemplateError(`malformed placeholder "${excerpt}" on line ${line} of the prompt`, 'write placeholders as {{name}}');
  }
  const unknown = placeholdersIn(template).filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    const list = unknown.map((n) => `{{${n}}}`).join(', ');
    throw new TemplateError(
      `unknown placeholder${unknown.length > 1 ? 's' : ''} ${list} in the prompt`,
      `available: ${available.map((n) => `{{${n}}}`).join(', ')}`,
    );
  }
}

export function renderTemplate(template: string, values: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => {
    if (!Object.hasOwn(values, name)) throw new TemplateError(`the unit has no value for {{${name}}}`);
    const value = values[name];
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}
