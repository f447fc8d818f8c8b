/**
 * Real Chromium for the dashboard's browser tests: Debian's `chromium` (`.ci/run` installs it),
 * or the one CHROMIUM_PATH names, driven by playwright-core. Screenshots go to
 * DASHBOARD_SCREENSHOTS (the README's come from `DASHBOARD_SCREENSHOTS=docs/screenshots`), else
 * to a directory under the temp dir.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './harness.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? CANDIDATES.find((p) => existsSync(p));
  if (!executablePath) throw new Error('no Chromium: install it (`apt-get install -y chromium`) or set CHROMIUM_PATH');
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

export const SCREENSHOTS = path.resolve(
  ROOT,
  process.env.DASHBOARD_SCREENSHOTS ?? path.join(os.tmpdir(), 'agentic-batch-screenshots'),
);

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
