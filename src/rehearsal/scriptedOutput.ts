/**
 * Structured output in the scripted Messages API. The real claude CLI, given `--json-schema`,
 * offers the model a `StructuredOutput` tool whose input schema is the user's schema, and keeps
 * what the model calls it with as the result's `structured_output` (measured against claude
 * 2.1.330). The scripted model calls it with the object a `[[output:{…}]]` marker in the prompt
 * gives, or else with a deterministic object built from the schema.
 */
import { isObject } from './untrusted.js';

export const STRUCTURED_OUTPUT_TOOL = 'StructuredOutput';
/** `[[output:{"sentiment":"good"}]]`: the object the scripted model answers with, as JSON. */
export const OUTPUT_MARKER = /\[\[output:(\{.*?\})\]\]/s;

/** The StructuredOutput tool's input schema, when the request offers the tool. */
export function structuredOutputSchema(tools: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(tools)) return undefined;
  const tool = tools.find((t) => isObject(t) && t.name === STRUCTURED_OUTPUT_TOOL) as
    { input_schema?: unknown } | undefined;
  if (!tool) return undefined;
  return isObject(tool.input_schema) ? tool.input_schema : {};
}

/** What the scripted model passes to StructuredOutput for this prompt. */
export function scriptedOutput(prompt: string, schema: Record<string, unknown>): Record<string, unknown> {
  const marked = OUTPUT_MARKER.exec(prompt)?.[1];
  if (marked !== undefined) {
    try {
      const value: unknown = JSON.parse(marked);
      if (isObject(value)) return value;
    } catch {
      // Not JSON: answer from the schema instead.
    }
  }
  const sample = sampleOf(schema, 'output');
  return isObject(sample) ? sample : { value: sample };
}

/** A value of the schema's shape: every property, the first enum value, one array item. */
function sampleOf(schema: unknown, name: string): unknown {
  if (!isObject(schema)) return `scripted ${name}`;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = isObject(schema.properties) ? schema.properties : {};
      return Object.fromEntries(Object.entries(properties).map(([key, sub]) => [key, sampleOf(sub, key)]));
    }
    case 'array':
      return [sampleOf(schema.items, name)];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return `scripted ${name}`;
  }
}
