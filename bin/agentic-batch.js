#!/usr/bin/env node
// Runs the compiled CLI; `npm ci` builds it (the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('error: agentic-batch is not built\nhint: run `npm run build` (or `npm ci`) in its directory\n');
  process.exit(1);
}
await import(entry.href);
