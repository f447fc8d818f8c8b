/**
 * Postgres refuses NUL in text and `\u0000` in jsonb, and agent output can contain either
 * (a tool result that printed a binary file). Such characters become U+FFFD on the way in.
 */
export function pgText(text: string): string;
export function pgText(text: string | null): string | null;
export function pgText(text: string | null): string | null {
  return text === null ? null : text.replaceAll('\u0000', '\uFFFD');
}

/** JSON for a nullable jsonb column: null and undefined are SQL NULL. */
export function pgJsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : pgJson(value);
}

/** JSON for a jsonb column. */
export function pgJson(value: unknown): string {
  // Only an odd run of backslashes before u0000 is the escape of a NUL (an even run is a literal backslash).
  const json = JSON.stringify(value);
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : json;
}

/** An ILIKE pattern for text containing `text` literally (its % _ \ escaped); null for no filter. */
export function containing(text: string | undefined): string | null {
  return text ? `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
}
