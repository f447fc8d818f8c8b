import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { readUnits, source, sourceError, tempFiles } from '../../../test/support/sources.js';

describe('command source', () => {
  it('makes each non-empty line a unit keyed by the line, with its 1-based index', async () => {
    const dir = await tempFiles({ 'a.ts': '', 'b c.ts': '' });
    const units = await readUnits(source({ type: 'command', command: "printf 'x\\n\\n'; ls *.ts" }, dir));
    expect(units).toEqual([
      { key: 'x', payload: { line: 'x', index: 1 }, origin: "line 1 of the output of `printf 'x\\n\\n'; ls *.ts`" },
      {
        key: 'a.ts',
        payload: { line: 'a.ts', index: 2 },
        origin: "line 3 of the output of `printf 'x\\n\\n'; ls *.ts`",
      },
      {
        key: 'b c.ts',
        payload: { line: 'b c.ts', index: 3 },
        origin: "line 4 of the output of `printf 'x\\n\\n'; ls *.ts`",
      },
    ]);
  });

  it('fails on a non-zero exit with the tail of stderr', async () => {
    const dir = await tempFiles({});
    const err = await sourceError(
      source({ type: 'command', command: 'echo one; echo "no such table" >&2; exit 3' }, dir),
    );
    expect(err.message).toBe(
      'the source command `echo one; echo "no such table" >&2; exit 3` exited with code 3: no such table',
    );
  });

  it('stops the command once the limit is reached', async () => {
    const dir = await tempFiles({});
    const token = `yes-${process.pid}-${Date.now()}`;
    const units = await readUnits(source({ type: 'command', command: `yes ${token}-line | cat -n`, limit: 3 }, dir));
    expect(units.map((u) => u.payload.index)).toEqual([1, 2, 3]);
    await new Promise((r) => setTimeout(r, 200));
    expect((await execa('pgrep', ['-f', token], { reject: false })).stdout).toBe('');
  });

  it('says a command that printed nothing has no units', async () => {
    const dir = await tempFiles({});
    expect((await sourceError(source({ type: 'command', command: 'true' }, dir))).message).toBe(
      'the source command `true` printed no lines',
    );
  });
});
