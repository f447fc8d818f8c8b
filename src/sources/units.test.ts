import { describe, expect, it } from '@jest/globals';
import { readUnits, source, sourceError, tempFiles } from '../../test/support/sources.js';

const jsonl = async (lines: unknown[], extra: Record<string, unknown> = {}) => {
  const dir = await tempFiles({ 'r.jsonl': lines.map((l) => JSON.stringify(l)).join('\n') });
  return source({ type: 'jsonl', path: 'r.jsonl', ...extra }, dir);
};

describe('units of any source: keys and limits', () => {
  it('numbers the records from 1 when no key field is named', async () => {
    expect((await readUnits(await jsonl([{ a: 1 }, { a: 2 }]))).map((u) => u.key)).toEqual(['1', '2']);
  });

  it('takes a number as a key, and a nested key by its path', async () => {
    expect((await readUnits(await jsonl([{ id: 7 }, { id: 8 }], { key: 'id' }))).map((u) => u.key)).toEqual(['7', '8']);
    expect((await readUnits(await jsonl([{ c: { id: 'x' } }], { key: 'c.id' })))[0]!.key).toBe('x');
  });

  it('refuses a key that is an object, naming the record', async () => {
    const err = await sourceError(await jsonl([{ id: { a: 1 } }], { key: 'id' }));
    expect(err.message).toBe(
      'the key field "id" of the record at line 1 of r.jsonl is an object, not a string or number',
    );
  });

  it('refuses a record without the key field, listing the fields it has', async () => {
    const err = await sourceError(await jsonl([{ id: 1 }, { title: 'no id' }], { key: 'id' }));
    expect(err.message).toBe('the record at line 2 of r.jsonl has no value for the key field "id"');
    expect(err.hint).toContain('title');
  });

  it('refuses a key longer than 512 characters', async () => {
    const err = await sourceError(await jsonl([{ id: 'k'.repeat(513) }], { key: 'id' }));
    expect(err.message).toBe(
      'the key of the record at line 1 of r.jsonl is 513 characters long; keys may have at most 512',
    );
  });

  it('stops reading at the limit', async () => {
    expect(await readUnits(await jsonl([{ a: 1 }, { a: 2 }, { a: 3 }], { limit: 1 }))).toHaveLength(1);
  });
});
