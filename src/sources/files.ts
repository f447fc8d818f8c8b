/** The `files` source: one unit per file matching a glob under a directory. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import type { FilesSourceSpec } from '../spec/schema.js';
import { SourceError, type UnitSource } from './source.js';

export const FILE_PLACEHOLDERS = ['file_path', 'relative_path', 'file_name', 'file_extension', 'file_size'] as const;

export const filesSource: UnitSource<FilesSourceSpec> = {
  type: 'files',
  placeholders: FILE_PLACEHOLDERS,

  resolve(spec, ctx) {
    return { ...spec, cwd: path.resolve(ctx.baseDir, spec.cwd) };
  },

  async enumerate(spec) {
    const cwd = spec.cwd;
    const dir = await stat(cwd).catch(() => null);
    if (!dir?.isDirectory()) throw new SourceError(`source.cwd ${cwd} is not a directory`, 'point it at the folder the glob starts from');
    const patterns = Array.isArray(spec.glob) ? spec.glob : [spec.glob];
    let entries: fg.Entry[];
    try {
      entries = await fg(patterns, {
        cwd,
        ignore: spec.exclude,
        onlyFiles: true,
        dot: false,
        unique: true,
        stats: true,
        suppressErrors: true,
      });
    } catch (err) {
      throw new SourceError(`bad glob ${JSON.stringify(spec.glob)}: ${(err as Error).message}`, 'see https://github.com/mrmlnc/fast-glob#pattern-syntax');
    }
    if (entries.length === 0) {
      const excluding = spec.exclude.length ? ` (excluding ${spec.exclude.join(', ')})` : '';
      throw new SourceError(
        `no files match ${patterns.join(', ')} under ${cwd}${excluding}`,
        "check the glob and source.cwd (the glob is relative to it); quote the glob so the shell doesn't expand it",
      );
    }
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const limited = spec.limit ? entries.slice(0, spec.limit) : entries;
    return limited.map((entry) => {
      const filePath = path.resolve(cwd, entry.path);
      const relativePath = path.relative(cwd, filePath).split(path.sep).join('/');
      return {
        key: relativePath,
        payload: {
          file_path: filePath,
          relative_path: relativePath,
          file_name: path.basename(filePath),
          file_extension: path.extname(filePath).replace(/^\./, ''),
          file_size: entry.stats?.size ?? 0,
        },
      };
    });
  },

  unitDirectory(payload) {
    return typeof payload.file_path === 'string' ? path.dirname(payload.file_path) : null;
  },

  describe(spec) {
    const patterns = Array.isArray(spec.glob) ? spec.glob.join(', ') : spec.glob;
    return `files matching ${patterns} under ${spec.cwd}`;
  },
};
