/**
 * The dashboard's pages: one built front end (Vite, `npm run build` → dist/web), its hashed
 * assets, and index.html for every page address so a reload or a shared link opens the page.
 * A Content-Security-Policy allows only the dashboard's own scripts: even if a unit's result
 * slipped past the Markdown sanitizer, no injected script or inline handler would run.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';

/** Built next to the compiled server: dist/src/web → dist/web. */
const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/** The page addresses the front end routes (anything else under / is a 404). */
export const PAGE_PATHS = ['/', '/jobs/:id', '/jobs/:id/units/:unit'] as const;

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function pageRoutes(app: Hono): void {
  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  });
  app.use('/assets/*', serveStatic({ root: WEB_DIR }));
  const index = serveStatic({ root: WEB_DIR, path: 'index.html' });
  for (const page of PAGE_PATHS)
    app.get(page, async (c, next) => {
      if (!existsSync(`${WEB_DIR}index.html`))
        return c.json(
          { error: "the dashboard's pages are not built", hint: 'run `npm run build`; the API under /api works' },
          503,
        );
      return index(c, next);
    });
}
