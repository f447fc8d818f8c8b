/** A commit's patch against its parent, as text, cut at `maxChars` (a unit may rewrite a big file). */
import { git } from './git.js';

export async function commitDiff(
  repo: string,
  commit: string,
  maxChars: number,
): Promise<{ diff: string; truncated: boolean }> {
  const diff = await git(repo, ['show', '--format=', '--no-color', '--no-ext-diff', commit]);
  return diff.length > maxChars ? { diff: diff.slice(0, maxChars), truncated: true } : { diff, truncated: false };
}
