/** Reading request bodies the scripted APIs did not write: anything may be anything. */

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
/** Array entries that are objects: request bodies are untrusted, so anything else is skipped. */
export const objects = (value: unknown) => (Array.isArray(value) ? value.filter(isObject) : []);
