import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { readUnits, source, sourceError, tempFiles } from '../../../test/support/sources.js';

describe('files source', () => {
  it('keys files by their path relative to cwd, sorted, with the file placeholders', async () => {
    const dir = await tempFiles({ 'b.md': 'bb', 'a.md': 'a', 'skip.txt': '' });
    const units = await readUnits(source({ type: 'files', glob: '*.md' }, dir));
    expect(units.map((u) => u.key)).toEqual(['a.md', 'b.md']);
    expect(units[1]!.payload).toEqual({
      file_path: path.join(dir, 'b.md'),
      relative_path: 'b.md',
      file_name: 'b.md',
      file_extension: 'md',
      file_size: 2,
    });
  });

  it('keys an absolute glob from its own static base, wherever the spec is', async () => {
    const dir = await tempFiles({});
    await mkdir(path.join(dir, 'x', 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'x', 'a.txt'), '');
    await writeFile(path.join(dir, 'x', 'sub', 'b.txt'), '');
    const units = await readUnits(source({ type: 'files', glob: `${dir}/x/**/*.txt` }, '/'));
    expect(units.map((u) => u.key)).toEqual(['a.txt', 'sub/b.txt']);
    expect(units.map((u) => u.payload.relative_path)).toEqual(['a.txt', 'sub/b.txt']);
  });

  it('says when nothing matches, and when cwd is not a directory', async () => {
    const dir = await tempFiles({ 'a.md': '' });
    expect((await sourceError(source({ type: 'files', glob: '*.txt' }, dir))).message).toBe(
      `no files match *.txt under ${dir}`,
    );
    expect((await sourceError(source({ type: 'files', glob: '*', cwd: 'nope' }, dir))).message).toBe(
      `source.cwd ${path.join(dir, 'nope')} is not a directory`,
    );
  });
});
