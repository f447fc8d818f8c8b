/**
 * The dashboard's front end, built at `npm run build` into dist/web and served by
 * `agentic-batch dashboard`: Preact (small, React's API), no CDN, no inline script (the pages'
 * Content-Security-Policy allows only the dashboard's own files).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 300,
  },
  logLevel: 'warn',
});
