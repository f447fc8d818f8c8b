import { withSession as withConfigSession, type Session } from '../client/session.js';
import { loadConfig } from '../config.js';

/** A command's session on the running stack (or TEMPORAL_ADDRESS/DATABASE_URL), closed afterwards. */
export function withSession<T>(fn: (session: Session) => Promise<T>): Promise<T> {
  return withConfigSession(loadConfig(), fn);
}
