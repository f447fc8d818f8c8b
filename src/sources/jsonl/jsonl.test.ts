import { describe, expect, it } from '@jest/globals';
import { readUnits, source, sourceError, tempFiles } from '../../../test/support/sources.js';

const jsonl = async (text: string, extra: Record<string, unknown> = {}) => {
  const dir = await tempFiles({ 'tickets.jsonl': text });
  return source({ type: 'jsonl', path: 'tickets.jsonl', ...extra }, dir);
};

describe('jsonl source', () => {
  it('reads one object per line, skipping blank lines, and names each by its line', async () => {
    const units = await readUnits(
      await jsonl('\uFEFF{"id":"T1","title":"a"}\n\n  \r\n{"id":"T2","body":{"x":[1]}}\r\n', { key: 'id' }),
    );
    expect(units).toEqual([
      { key: 'T1', payload: { id: 'T1', title: 'a' }, origin: 'line 1 of tickets.jsonl' },
      { key: 'T2', payload: { id: 'T2', body: { x: [1] } }, origin: 'line 4 of tickets.jsonl' },
    ]);
  });

  it('names the line of a malformed record', async () => {
    const err = await sourceError(await jsonl('{"id":1}\n{"id":2,}\n'));
    expect(err.message).toMatch(/^line 2 of tickets\.jsonl is not valid JSON: /);
  });

  it('refuses a line that is not an object', async () => {
    expect((await sourceError(await jsonl('{"id":1}\n[1,2]\n'))).message).toBe(
      'line 2 of tickets.jsonl is not a JSON object',
    );
  });

  it('says a blank file has no records', async () => {
    expect((await sourceError(await jsonl('\n\n'))).message).toBe(
      'tickets.jsonl has no records (it is empty or blank)',
    );
  });
});
