/**
 * The dashboard's HTTP app: every route needs the token (Bearer header, or the cookie a first
 * visit with `?token=` exchanges it for: HttpOnly, SameSite=Strict), state changes only by POST
 * from the dashboard's own origin, and no CORS: another site's page can neither read nor act.
 * Behind a TLS reverse proxy the origin is the proxy's (`X-Forwarded-Proto`, `X-Forwarded-Host`),
 * believed only from the proxies configured as trusted; over https the cookie is `Secure`.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Session } from '../client/session.js';
import { apiRoutes, errorResponse } from './api.js';
import { PAGE_PATHS, pageRoutes } from './pages.js';
import { tokenMatches } from './token.js';

export const TOKEN_COOKIE = 'agentic_batch_token';

export interface DashboardOptions {
  /** Addresses of reverse proxies whose X-Forwarded-Proto / X-Forwarded-Host are believed. */
  trustedProxies?: readonly string[];
}

export function dashboardApp(session: Session, token: string, options: DashboardOptions = {}): Hono {
  const app = new Hono();
  const trusted = new Set((options.trustedProxies ?? []).map(plainAddress));

  // First visit: the token from the printed URL (or a page's link with it) becomes a cookie, and
  // leaves the address bar.
  for (const page of PAGE_PATHS)
    app.get(page, async (c, next) => {
      const given = c.req.query('token');
      if (given === undefined) return next();
      if (!tokenMatches(given, token)) return unauthorized(c);
      const secure = publicOrigin(c, trusted).startsWith('https:');
      setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/', secure });
      return c.redirect(c.req.path, 303);
    });

  app.use('*', async (c, next) => {
    const header = c.req.header('authorization');
    const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    const cookie = getCookie(c, TOKEN_COOKIE);
    if (!tokenMatches(bearer, token) && !tokenMatches(cookie, token)) return unauthorized(c);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      if (c.req.method !== 'POST') return c.json({ error: `${c.req.method} is not allowed`, hint: 'use POST' }, 405);
      // A browser says where a request comes from; only the dashboard's own pages may act with the cookie.
      const origin = c.req.header('origin');
      const own = publicOrigin(c, trusted);
      const sameSite = c.req.header('sec-fetch-site');
      if (origin ? origin !== own : !bearer && sameSite !== 'same-origin')
        return c.json({ error: 'cross-origin request refused', hint: "act from the dashboard's own pages" }, 403);
    }
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
  });

  app.route('/api', apiRoutes(session));
  pageRoutes(app);
  app.onError((err, c) => errorResponse(c, err));
  return app;
}

/** The origin the browser sees: the request's own, or a trusted proxy's forwarded one. */
function publicOrigin(c: Context, trusted: ReadonlySet<string>): string {
  const direct = `${new URL(c.req.url).protocol}//${c.req.header('host')}`;
  if (trusted.size === 0) return direct;
  const peer = getConnInfo(c).remote.address;
  if (!peer || !trusted.has(plainAddress(peer))) return direct;
  const first = (name: string) => c.req.header(name)?.split(',')[0]?.trim();
  const proto = first('x-forwarded-proto') ?? new URL(c.req.url).protocol.replace(':', '');
  return `${proto}://${first('x-forwarded-host') ?? c.req.header('host')}`;
}

/** `::ffff:127.0.0.1` (IPv4 on a dual-stack socket) as `127.0.0.1`. */
function plainAddress(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

function unauthorized(c: Context): Response {
  return c.json(
    {
      error: 'missing or wrong token',
      hint: 'open the URL `agentic-batch dashboard` printed, or send Authorization: Bearer <token>',
    },
    401,
  );
}
