/**
 * The dashboard's HTTP app: every route needs the token (Bearer header, or the cookie a first
 * visit with `?token=` exchanges it for: HttpOnly, SameSite=Strict), state changes only by POST
 * from the dashboard's own origin, and no CORS: another site's page can neither read nor act.
 */
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Session } from '../client/session.js';
import { apiRoutes, errorResponse } from './api.js';
import { PAGE_PATHS, pageRoutes } from './pages.js';
import { tokenMatches } from './token.js';

export const TOKEN_COOKIE = 'agentic_batch_token';

export function dashboardApp(session: Session, token: string): Hono {
  const app = new Hono();

  // First visit: the token from the printed URL (or a page's link with it) becomes a cookie, and
  // leaves the address bar.
  for (const page of PAGE_PATHS)
    app.get(page, async (c, next) => {
      const given = c.req.query('token');
      if (given === undefined) return next();
      if (!tokenMatches(given, token)) return unauthorized(c);
      setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
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
      const own = `${new URL(c.req.url).protocol}//${c.req.header('host')}`;
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

function unauthorized(c: Context): Response {
  return c.json(
    {
      error: 'missing or wrong token',
      hint: 'open the URL `agentic-batch dashboard` printed, or send Authorization: Bearer <token>',
    },
    401,
  );
}
