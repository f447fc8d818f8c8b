/**
 * The `jsonl` source: one unit per line of a JSON Lines file, each line one JSON object; blank
 * lines are skipped. Read line by line, so the file's size does not matter.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import {
  checkReadableFile,
  commonSourceFields,
  pathField,
  SourceError,
  type SourceKind,
  resolvePath,
} from '../source.js';

export const jsonlSourceSchema = z.strictObject({
  type: z.literal('jsonl'),
  path: pathField,
  ...commonSourceFields,
});
export type JsonlSourceSpec = z.output<typeof jsonlSourceSchema>;

export const jsonlSource: SourceKind<JsonlSourceSpec> = {
  type: 'jsonl',
  schema: jsonlSourceSchema,
  fields: null,

  resolve: resolvePath,

  check: (spec) => checkReadableFile(spec.path, 'the JSONL file'),

  async *read(spec) {
    const file = path.basename(spec.path);
    const input = createReadStream(spec.path, { encoding: 'utf8' });
    const lines = createInterface({ input, crlfDelay: Infinity });
    let number = 0;
    try {
      for await (const raw of lines) {
        number += 1;
        const text = (number === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
        if (!text) continue;
        const origin = `line ${number} of ${file}`;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          throw new SourceError(
            `${origin} is not valid JSON: ${(err as Error).message}`,
            'each line must be one complete JSON object',
          );
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          throw new SourceError(
            `${origin} is not a JSON object`,
            'each line must be one JSON object, e.g. {"id": 1, "title": "…"}',
          );
        }
        yield { payload: value as Record<string, unknown>, origin };
      }
    } finally {
      lines.close();
      input.destroy();
    }
  },

  empty: (spec) =>
    new SourceError(
      `${path.basename(spec.path)} has no records (it is empty or blank)`,
      'add one JSON object per line',
    ),

  describe: (spec) => `lines of ${spec.path}`,
};
