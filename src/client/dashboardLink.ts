/**
 * The dashboard's token: random, kept in the state directory (mode 0600) so the URL printed once
 * keeps working across restarts; and the link to open, token included.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Session } from './session.js';

export async function dashboardToken(home: string): Promise<string> {
  const file = path.join(home, 'dashboard-token');
  const kept = await readFile(file, 'utf8').catch(() => '');
  if (kept.trim().length >= 32) return kept.trim();
  await mkdir(home, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** The address to open the dashboard at (a page of it: `/jobs/JOB`), with its token. */
export async function dashboardLink(home: string, baseUrl: string, page = '/'): Promise<string> {
  return `${baseUrl}${page}?token=${await dashboardToken(home)}`;
}

/** The running stack's dashboard link (to a page of it), if it serves one. */
export async function stackDashboardLink(session: Session, page = '/'): Promise<string | null> {
  const base = session.endpoints.dashboardUrl;
  return base ? dashboardLink(session.config.home, base, page) : null;
}
