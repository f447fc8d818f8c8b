import { describe, expect, it } from '@jest/globals';
import { describeChanges } from '../domain/index.js';
import { isUnitWorktreePath, unitBranch } from './worktree.js';

describe('unitBranch', () => {
  it('is the prefix, the unit id and a slug of the key', () => {
    expect(unitBranch('agentic-batch/job-x', 3, 'src/app.ts')).toBe('agentic-batch/job-x/3-src-app.ts');
    expect(unitBranch('fix', 12, 'Ärger mit "Quotes"')).toBe('fix/12-rger-mit-Quotes');
  });

  it('keeps git ref rules: no "..", no leading dot or dash, no ".lock" ending, and stays short', () => {
    expect(unitBranch('p', 1, '../etc/passwd')).toBe('p/1-etc-passwd');
    expect(unitBranch('p', 2, 'a..b')).toBe('p/2-a.b');
    expect(unitBranch('p', 3, 'x.lock')).toBe('p/3-x');
    expect(unitBranch('p', 4, '///')).toBe('p/4');
    expect(unitBranch('p', 5, 'k'.repeat(300))).toBe(`p/5-${'k'.repeat(60)}`);
  });
});

describe('describeChanges', () => {
  it('says what changed, or that nothing did', () => {
    expect(
      describeChanges({ branch: 'b/1-a', commit: 'abcdef0123', filesChanged: 1, insertions: 4, deletions: 0 }),
    ).toBe('1 file, +4 -0 on b/1-a (abcdef0)');
    expect(describeChanges({ branch: null, commit: null, filesChanged: 0, insertions: 0, deletions: 0 })).toBe(
      'no changes',
    );
  });
});

describe('isUnitWorktreePath', () => {
  const ours = '/tmp/agentic-batch-Ab3dE9/worktrees/job-x/3';
  it('knows an earlier attempt of this unit, on any worker', () => {
    expect(isUnitWorktreePath('/tmp/agentic-batch-Qw12er/worktrees/job-x/3', 'job-x', ours)).toBe(true);
  });
  it.each([
    '/home/me/repo',
    '/home/me/review',
    '/tmp/agentic-batch-Qw12er/worktrees/job-x/4',
    '/tmp/x/worktrees/job-x/3',
    '/tmp/agentic-batch-Qw12er/worktrees/job-y/3',
  ])("never takes %s for one (the user's checkout, another unit, another job)", (dir) =>
    expect(isUnitWorktreePath(dir, 'job-x', ours)).toBe(false),
  );
});
