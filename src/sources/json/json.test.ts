import { describe, expect, it } from '@jest/globals';
import { readUnits, source, sourceError, tempFiles } from '../../../test/support/sources.js';
import { parsePointer } from './pointer.js';

const json = async (text: string, extra: Record<string, unknown> = {}) => {
  const dir = await tempFiles({ 'data.json': text });
  return source({ type: 'json', path: 'data.json', ...extra }, dir);
};

describe('parsePointer (RFC 6901)', () => {
  it('splits and unescapes', () => {
    expect(parsePointer('')).toEqual([]);
    expect(parsePointer('/a/0/b~1c/d~0e')).toEqual(['a', '0', 'b/c', 'd~e']);
  });

  it('refuses a pointer without a leading slash, or a bad escape', () => {
    expect(() => parsePointer('items')).toThrow('must be empty or start with "/"');
    expect(() => parsePointer('/a~2')).toThrow('"~" not followed by 0 or 1');
  });
});

describe('json source', () => {
  it('reads each element of the top-level array, nested objects kept', async () => {
    const units = await readUnits(
      await json('[{"id":1,"c":{"name":"Ada","tags":["x"]}},{"id":2,"c":null}]', { key: 'id' }),
    );
    expect(units).toEqual([
      { key: '1', payload: { id: 1, c: { name: 'Ada', tags: ['x'] } }, origin: 'element /0 of data.json' },
      { key: '2', payload: { id: 2, c: null }, origin: 'element /1 of data.json' },
    ]);
  });

  it('reads the array at a pointer, escapes and indexes included', async () => {
    const text = JSON.stringify({ meta: { n: 2 }, 'a/b': [[{ skip: true }], [{ id: 'x' }, { id: 'y' }]] });
    const units = await readUnits(await json(text, { pointer: '/a~1b/1' }));
    expect(units.map((u) => u.payload)).toEqual([{ id: 'x' }, { id: 'y' }]);
    expect(units[1]!.origin).toBe('element /a~1b/1/1 of data.json');
  });

  it('says when the value at the pointer is not an array', async () => {
    const err = await sourceError(await json('{"items":{"a":1}}', { pointer: '/items' }));
    expect(err.message).toBe('the value at pointer /items of data.json is not an array');
    expect((await sourceError(await json('{"a":1}'))).message).toBe(
      'the value at the top level of data.json is not an array',
    );
  });

  it('says when nothing is at the pointer', async () => {
    const err = await sourceError(await json('{"items":[]}', { pointer: '/itemz' }));
    expect(err.message).toBe('data.json has no value at pointer /itemz');
  });

  it('refuses a malformed pointer before reading', async () => {
    const err = await sourceError(await json('[]', { pointer: 'items' }));
    expect(err.message).toBe('the JSON pointer "items" must be empty or start with "/"');
  });

  it('refuses an element that is not an object, naming it', async () => {
    const err = await sourceError(await json('[{"a":1}, "two"]'));
    expect(err.message).toBe('element /1 of data.json is a string, not an object');
  });

  it('names the line and column of a syntax error', async () => {
    const err = await sourceError(await json('[\n  {"a": 1},\n  {"a" 2}\n]'));
    expect(err.message).toMatch(/^data\.json is not valid JSON at line 3, column \d+: /);
  });

  it('says an empty array has no records', async () => {
    expect((await sourceError(await json('[]'))).message).toBe('the array at the top level of data.json is empty');
  });
});
