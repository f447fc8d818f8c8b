/** The dashboard's token, compared in constant time (it is kept by src/client/dashboardLink.ts). */
import { timingSafeEqual } from 'node:crypto';

export function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
