/**
 * The dashboard's token: random, kept in the state directory (mode 0600) so the URL printed
 * once keeps working across restarts; compared in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function dashboardToken(home: string): Promise<string> {
  const file = path.join(home, 'dashboard-token');
  const kept = await readFile(file, 'utf8').catch(() => '');
  if (kept.trim().length >= 32) return kept.trim();
  await mkdir(home, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

export function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
