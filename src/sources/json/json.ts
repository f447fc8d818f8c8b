/**
 * The `json` source: one unit per element of the array at an RFC 6901 `pointer` (default: the
 * root) of a JSON file. Parsed as a token stream (stream-json), so a file far larger than
 * memory works; only one element is assembled at a time.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import chain from 'stream-chain';
import { parser } from 'stream-json';
import { verifyFile } from 'stream-json/file/verifier.js';
import { pick } from 'stream-json/filters/pick.js';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { z } from 'zod';
import {
  checkReadableFile,
  commonSourceFields,
  pathField,
  SourceError,
  type SourceKind,
  resolvePath,
} from '../source.js';
import { parsePointer, PointerError } from './pointer.js';

export const jsonSourceSchema = z.strictObject({
  type: z.literal('json'),
  path: pathField,
  pointer: z.string().default(''),
  ...commonSourceFields,
});
export type JsonSourceSpec = z.output<typeof jsonSourceSchema>;

export const jsonSource: SourceKind<JsonSourceSpec> = {
  type: 'json',
  schema: jsonSourceSchema,
  fields: null,

  resolve: resolvePath,

  async check(spec) {
    tokensOf(spec.pointer);
    await checkReadableFile(spec.path, 'the JSON file');
  },

  async *read(spec) {
    const file = path.basename(spec.path);
    const at = spec.pointer === '' ? 'the top level' : `pointer ${spec.pointer}`;
    const tokens = tokensOf(spec.pointer);
    let found = tokens.length === 0;
    const isTarget = (stack: readonly (string | number | null)[]): boolean => {
      const hit = stack.length === tokens.length && stack.every((step, i) => String(step) === tokens[i]);
      found ||= hit;
      return hit;
    };
    const elements = chain([
      createReadStream(spec.path),
      parser(),
      ...(tokens.length ? [pick({ filter: isTarget, once: true })] : []),
      streamArray(),
    ]);
    try {
      for await (const { key, value } of elements as AsyncIterable<{ key: number; value: unknown }>) {
        const origin = `element ${spec.pointer}/${key} of ${file}`;
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          throw new SourceError(
            `${origin} is ${describeValue(value)}, not an object`,
            'each element of the array must be a JSON object: its fields fill the {{placeholders}}',
          );
        }
        yield { payload: value as Record<string, unknown>, origin };
      }
    } catch (err) {
      if (err instanceof SourceError) throw err;
      const message = (err as Error).message;
      if (/should be an array/.test(message)) {
        throw new SourceError(
          `the value at ${at} of ${file} is not an array`,
          'point source.pointer (--pointer) at the array of records, e.g. /items',
        );
      }
      throw await syntaxError(spec.path, message);
    } finally {
      elements.destroy();
    }
    if (!found) {
      throw new SourceError(
        `${file} has no value at pointer ${spec.pointer}`,
        'check source.pointer (--pointer): keys separated by "/", e.g. /data/items',
      );
    }
  },

  empty: (spec) =>
    new SourceError(
      `the array at ${spec.pointer || 'the top level'} of ${path.basename(spec.path)} is empty`,
      'check the file and source.pointer',
    ),

  describe: (spec) => `elements of ${spec.pointer || 'the top-level array'} in ${spec.path}`,
};

function tokensOf(pointer: string): string[] {
  try {
    return parsePointer(pointer);
  } catch (err) {
    if (err instanceof PointerError)
      throw new SourceError(err.message, 'write pointers as /key/0/key (RFC 6901); "" is the whole file');
    throw err;
  }
}

/** The parser says what it expected; the verifier says where. */
async function syntaxError(file: string, reason: string): Promise<SourceError> {
  const where = await verifyFile(file).then(
    () => '',
    (err: { line?: number; pos?: number }) => (err.line ? ` at line ${err.line}, column ${err.pos}` : ''),
  );
  return new SourceError(
    `${path.basename(file)} is not valid JSON${where}: ${reason.replace(/^Parser /, '')}`,
    'fix the JSON syntax',
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
