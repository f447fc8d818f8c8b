/**
 * The `module` source: an ES module of the user's whose export (default `default`) is a
 * function returning an iterable or async iterable of records. It runs once, when the job is
 * created, in the CLI's process: it is the user's own code, with the user's own rights.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import {
  checkReadableFile,
  commonSourceFields,
  jsonRecord,
  pathField,
  SourceError,
  type SourceKind,
  resolvePath,
} from '../source.js';

export const moduleSourceSchema = z.strictObject({
  type: z.literal('module'),
  path: pathField,
  export: z.string().min(1).default('default'),
  ...commonSourceFields,
});
export type ModuleSourceSpec = z.output<typeof moduleSourceSchema>;

export const moduleSource: SourceKind<ModuleSourceSpec> = {
  type: 'module',
  schema: moduleSourceSchema,
  fields: null,

  resolve: resolvePath,

  async check(spec) {
    await checkReadableFile(spec.path, 'the source module');
    await recordsFunction(spec);
  },

  async *read(spec) {
    const file = path.basename(spec.path);
    const produce = await recordsFunction(spec);
    const threw = (err: unknown) =>
      new SourceError(
        `the source module ${file} threw: ${err instanceof Error ? err.message : String(err)}`,
        'fix the module; it runs once, when the job is created',
      );
    let records: unknown;
    try {
      records = await produce();
    } catch (err) {
      throw threw(err);
    }
    if (
      records === null ||
      typeof records !== 'object' ||
      !(Symbol.asyncIterator in records || Symbol.iterator in records)
    ) {
      throw new SourceError(
        `${spec.export === 'default' ? 'the default export' : `the export "${spec.export}"`} of ${file} returned ${records === null ? 'null' : typeof records}, not an iterable of records`,
        'return an array, or be a generator (function*) or async generator (async function*)',
      );
    }
    let index = 0;
    const iterator = records as AsyncIterable<unknown> | Iterable<unknown>;
    try {
      for await (const record of iterator) {
        index += 1;
        const origin = `record ${index} of ${file}`;
        if (record === null || typeof record !== 'object' || Array.isArray(record)) {
          throw new SourceError(
            `${origin} is not an object`,
            'yield plain objects: their fields fill the {{placeholders}}',
          );
        }
        yield { payload: jsonRecord(record, origin), origin };
      }
    } catch (err) {
      throw err instanceof SourceError ? err : threw(err);
    }
  },

  empty: (spec) =>
    new SourceError(
      `the source module ${path.basename(spec.path)} produced no records`,
      'return or yield at least one object',
    ),

  describe: (spec) => `records from ${spec.path}${spec.export === 'default' ? '' : ` (${spec.export})`}`,
};

/** Import the module and find the function; every way that can fail says what to fix. */
async function recordsFunction(spec: ModuleSourceSpec): Promise<() => unknown> {
  const file = path.basename(spec.path);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(spec.path).href)) as Record<string, unknown>;
  } catch (err) {
    const hint = /\.(c|m)?ts$/.test(spec.path)
      ? 'compile it to JavaScript first (.js or .mjs): Node runs the module as it is'
      : 'fix the module; it must be an ES module (.mjs, or .js in a "type": "module" package)';
    throw new SourceError(
      `cannot load the source module ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      hint,
    );
  }
  const candidate = exports[spec.export];
  if (typeof candidate !== 'function') {
    const functions = Object.keys(exports).filter((k) => typeof exports[k] === 'function');
    throw new SourceError(
      `the source module ${file} exports no function named "${spec.export}"`,
      functions.length
        ? `its functions: ${functions.join(', ')} (choose one with source.export)`
        : 'export a function that returns the records: export default function* () { … }',
    );
  }
  return candidate as () => unknown;
}
