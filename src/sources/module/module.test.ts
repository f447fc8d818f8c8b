import { describe, expect, it } from '@jest/globals';
import { readUnits, source, sourceError, tempFiles } from '../../../test/support/sources.js';

const moduleSource = async (code: string, extra: Record<string, unknown> = {}) => {
  const dir = await tempFiles({ 'records.mjs': code });
  return source({ type: 'module', path: 'records.mjs', ...extra }, dir);
};

describe('module source', () => {
  it('runs the default export, a generator, and stores records as JSON', async () => {
    const units = await readUnits(
      await moduleSource(
        `export default function* () {
        yield { id: 1, when: new Date('2024-01-02T03:04:05Z'), big: 2n ** 70n, nested: { a: [1] } };
        yield { id: 2 };
      }`,
        { key: 'id' },
      ),
    );
    expect(units).toEqual([
      {
        key: '1',
        payload: { id: 1, when: '2024-01-02T03:04:05.000Z', big: '1180591620717411303424', nested: { a: [1] } },
        origin: 'record 1 of records.mjs',
      },
      { key: '2', payload: { id: 2 }, origin: 'record 2 of records.mjs' },
    ]);
  });

  it('accepts a named export returning an array, or an async generator', async () => {
    expect(
      await readUnits(await moduleSource('export const list = async () => [{ a: 1 }, { a: 2 }];', { export: 'list' })),
    ).toHaveLength(2);
    expect(await readUnits(await moduleSource('export default async function* () { yield { a: 1 }; }'))).toHaveLength(
      1,
    );
  });

  it('reports a module that throws, at load or while producing records', async () => {
    expect((await sourceError(await moduleSource('throw new Error("boom at load");'))).message).toBe(
      'cannot load the source module records.mjs: boom at load',
    );
    const err = await sourceError(
      await moduleSource('export default function* () { yield { a: 1 }; throw new Error("boom later"); }'),
    );
    expect(err.message).toBe('the source module records.mjs threw: boom later');
  });

  it('refuses a module that exports no such function, listing the ones it has', async () => {
    const err = await sourceError(
      await moduleSource('export const rows = () => []; export const n = 3;', { export: 'records' }),
    );
    expect(err.message).toBe('the source module records.mjs exports no function named "records"');
    expect(err.hint).toBe('its functions: rows (choose one with source.export)');
    expect((await sourceError(await moduleSource('export const x = 1;'))).message).toBe(
      'the source module records.mjs exports no function named "default"',
    );
  });

  it('refuses a function that returns no iterable, or records that are not objects', async () => {
    expect((await sourceError(await moduleSource('export default () => 42;'))).message).toBe(
      'the default export of records.mjs returned number, not an iterable of records',
    );
    expect((await sourceError(await moduleSource('export default () => [{ a: 1 }, "b"];'))).message).toBe(
      'record 2 of records.mjs is not an object',
    );
  });
});
