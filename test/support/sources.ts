/** Helpers for the sources' unit tests: temp files, and a source's units read to the end. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals';
import type { NewUnit } from '../../src/domain/index.js';
import {
  SourceError,
  sourceKind,
  unitsOf,
  type ReadContext,
  sourceSchema,
  type SourceSpec,
} from '../../src/sources/index.js';

/** A fresh directory with these files in it (string or Buffer contents). */
export async function tempFiles(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-src-'));
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(path.join(dir, name), text)));
  return dir;
}

/** Parse a raw source section as the spec does, resolving paths against `baseDir`. */
export function source(raw: Record<string, unknown>, baseDir: string): SourceSpec {
  const spec = sourceSchema.parse(raw);
  return sourceKind(spec).resolve(spec, baseDir);
}

/** Every unit of the source, as `create` would store them. */
export async function readUnits(spec: SourceSpec, ctx: ReadContext = {}): Promise<NewUnit[]> {
  const kind = sourceKind(spec);
  await kind.check?.(spec, ctx);
  const units: NewUnit[] = [];
  for await (const unit of unitsOf(kind, spec, ctx)) units.push(unit);
  return units;
}

/** The SourceError reading the source ends with. */
export async function sourceError(spec: SourceSpec, ctx: ReadContext = {}): Promise<SourceError> {
  try {
    await readUnits(spec, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(SourceError);
    return err as SourceError;
  }
  throw new Error('expected a SourceError, but the source read fine');
}
