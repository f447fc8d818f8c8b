/**
 * The `csv` source: one unit per row of an RFC 4180 file (quoted fields with delimiters, quotes
 * and newlines; UTF-8 with or without BOM), the header row naming the fields. Parsed as a
 * stream by csv-parse; every value is a string, as the file has it.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { CsvError, parse } from 'csv-parse';
import { z } from 'zod';
import {
  checkReadableFile,
  commonSourceFields,
  pathField,
  SourceError,
  type SourceKind,
  resolvePath,
} from '../source.js';

export const csvSourceSchema = z.strictObject({
  type: z.literal('csv'),
  path: pathField,
  delimiter: z.string().min(1).max(4).optional(),
  ...commonSourceFields,
});
export type CsvSourceSpec = z.output<typeof csvSourceSchema>;

export const csvSource: SourceKind<CsvSourceSpec> = {
  type: 'csv',
  schema: csvSourceSchema,
  fields: null,

  resolve: resolvePath,

  check: (spec) => checkReadableFile(spec.path, 'the CSV file'),

  async *read(spec) {
    const name = path.basename(spec.path);
    let header: string[] | null = null;
    // Where the previous record ended: records follow each other line by line, and a record
    // spans as many more lines as its quoted values hold newlines.
    let line = 0;
    const parser = createReadStream(spec.path).pipe(
      parse({
        bom: true,
        delimiter: spec.delimiter,
        columns: (names: string[]) => {
          line = 1 + newlines(names);
          return (header = checkHeader(names, spec, name));
        },
      }),
    );
    try {
      for await (const record of parser as AsyncIterable<Record<string, string>>) {
        const start = line + 1;
        line = start + newlines(Object.values(record));
        yield { payload: record, origin: `line ${start} of ${name}` };
      }
    } catch (err) {
      throw err instanceof CsvError ? csvError(err, name) : err;
    } finally {
      parser.destroy();
    }
    if (header === null)
      throw new SourceError(
        `${name} is empty: it has no header row`,
        'the first line of the CSV names the fields, e.g. sku,name,price',
      );
  },

  empty: (spec) =>
    new SourceError(
      `${path.basename(spec.path)} has a header row but no records`,
      'add rows below the header, or check the file',
    ),

  describe: (spec) => `rows of ${spec.path}`,
};

function newlines(values: readonly string[]): number {
  let count = 0;
  for (const value of values) for (let i = value.indexOf('\n'); i !== -1; i = value.indexOf('\n', i + 1)) count += 1;
  return count;
}

function checkHeader(names: string[], spec: CsvSourceSpec, file: string): string[] {
  const seen = new Map<string, number>();
  names.forEach((raw, i) => {
    const name = raw.trim();
    if (!name)
      throw new SourceError(
        `column ${i + 1} of the header of ${file} is empty`,
        'every column needs a name in the first line',
      );
    const before = seen.get(name);
    if (before !== undefined)
      throw new SourceError(
        `the header of ${file} names "${name}" twice (columns ${before} and ${i + 1})`,
        'give every column its own name',
      );
    seen.set(name, i + 1);
  });
  if (spec.key !== undefined && !seen.has(spec.key)) {
    throw new SourceError(
      `the key field "${spec.key}" is not a column of ${file} (its header: ${names.join(', ')})`,
      'check source.key (--key); the first line of the CSV must be its header row',
    );
  }
  return names.map((n) => n.trim());
}

function csvError(err: CsvError, file: string): SourceError {
  const at = typeof err.lines === 'number' ? `line ${err.lines} of ${file}` : file;
  if (err.code === 'CSV_RECORD_INCONSISTENT_COLUMNS' || err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
    const fields = Array.isArray(err.record) ? err.record.length : '?';
    const expected = /columns length is (\d+)/.exec(err.message)?.[1] ?? '?';
    return new SourceError(
      `${at} has ${fields} field${fields === 1 ? '' : 's'}, but the header has ${expected}`,
      'quote fields that contain the delimiter ("a, b"), or fix the row',
    );
  }
  if (err.code === 'CSV_QUOTE_NOT_CLOSED')
    return new SourceError(
      `${at}: a quoted field is never closed`,
      'close the quote, and double quotes inside it ("")',
    );
  return new SourceError(`${at}: ${err.message.replace(/ at line \d+$/, '')}`, 'check the CSV syntax (RFC 4180)');
}
