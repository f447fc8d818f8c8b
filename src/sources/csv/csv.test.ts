import { describe, expect, it } from '@jest/globals';
import { readUnits, source, sourceError, tempFiles } from '../../../test/support/sources.js';

const csv = async (text: string | Buffer, extra: Record<string, unknown> = {}) => {
  const dir = await tempFiles({ 'products.csv': text });
  return source({ type: 'csv', path: 'products.csv', ...extra }, dir);
};

describe('csv source', () => {
  it('reads RFC 4180: quoted commas, doubled quotes, newlines inside fields, unicode', async () => {
    const spec = await csv(
      'sku,name,notes\nA1,"Lamp, brass","say ""hi""\nsecond line"\nA2,Chaise à bascule 🪑,plain\n',
    );
    const units = await readUnits(spec);
    expect(units.map((u) => u.payload)).toEqual([
      { sku: 'A1', name: 'Lamp, brass', notes: 'say "hi"\nsecond line' },
      { sku: 'A2', name: 'Chaise à bascule 🪑', notes: 'plain' },
    ]);
    // The second record starts on line 4: the first one spanned lines 2 and 3.
    expect(units.map((u) => u.origin)).toEqual(['line 2 of products.csv', 'line 4 of products.csv']);
    expect(units.map((u) => u.key)).toEqual(['1', '2']);
  });

  it('drops a UTF-8 byte order mark, so the first header is its name', async () => {
    const units = await readUnits(
      await csv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('sku,name\nA1,x\n')]), { key: 'sku' }),
    );
    expect(units).toEqual([{ key: 'A1', payload: { sku: 'A1', name: 'x' }, origin: 'line 2 of products.csv' }]);
  });

  it('keys units by the key field, and takes the first N with limit', async () => {
    const units = await readUnits(await csv('sku,name\nA1,a\nB2,b\nC3,c\n', { key: 'sku', limit: 2 }));
    expect(units.map((u) => u.key)).toEqual(['A1', 'B2']);
  });

  it('honours another delimiter', async () => {
    const units = await readUnits(await csv('sku;price\nA1;9,50\n', { delimiter: ';' }));
    expect(units[0]!.payload).toEqual({ sku: 'A1', price: '9,50' });
  });

  it('names the line of a ragged row and what the header expects', async () => {
    const err = await sourceError(await csv('sku,name\nA1,a\nA2\nA3,c\n'));
    expect(err.message).toBe('line 3 of products.csv has 1 field, but the header has 2');
    expect(err.hint).toMatch(/quote fields/);
  });

  it('says an empty file has no header row, and a header alone has no records', async () => {
    expect((await sourceError(await csv(''))).message).toBe('products.csv is empty: it has no header row');
    expect((await sourceError(await csv('sku,name\n'))).message).toBe('products.csv has a header row but no records');
  });

  it('refuses a header with a duplicate or an empty column name', async () => {
    expect((await sourceError(await csv('sku,name,sku\n1,2,3\n'))).message).toBe(
      'the header of products.csv names "sku" twice (columns 1 and 3)',
    );
    expect((await sourceError(await csv('sku,,name\n1,2,3\n'))).message).toBe(
      'column 2 of the header of products.csv is empty',
    );
  });

  it('refuses a key field the header does not have, suspecting a missing header row', async () => {
    const err = await sourceError(await csv('A1,lamp\nA2,chair\n', { key: 'sku' }));
    expect(err.message).toBe('the key field "sku" is not a column of products.csv (its header: A1, lamp)');
    expect(err.hint).toMatch(/header row/);
  });

  it('refuses a record whose key is empty, naming its line', async () => {
    const err = await sourceError(await csv('sku,name\nA1,a\n,b\n', { key: 'sku' }));
    expect(err.message).toBe('the record at line 3 of products.csv has no value for the key field "sku"');
  });

  it('says where an unclosed quote starts', async () => {
    const err = await sourceError(await csv('sku,name\nA1,"never closed\n'));
    expect(err.message).toMatch(/^line \d+ of products.csv: a quoted field is never closed$/);
  });

  it('refuses a file that is not there before reading anything', async () => {
    const dir = await tempFiles({});
    const err = await sourceError(source({ type: 'csv', path: 'missing.csv' }, dir));
    expect(err.message).toMatch(/^the CSV file .*missing\.csv does not exist$/);
  });
});
