/**
 * The dashboard's pages in real Chromium, over a real stack (Temporal, Postgres, the real claude
 * against the scripted API): approve a READY job and follow it live to its end, reject one with
 * feedback and a revised prompt, read a unit (Markdown rendered, a tool call unfolded, a result
 * holding HTML and script left inert), pause / resume / cancel, the breaker's pause and a resume
 * ignoring it, page through 10,000 units, and
 * a pipeline's graph on its stages' pages.
 * Every page is saved as a screenshot (see test/support/chromium.ts).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot } from '../support/chromium.js';
import { startDashboard, type TestDashboard } from '../support/dashboard.js';
import { useHarness, waitFor, waitForStatus, writeSpec } from '../support/harness.js';

const h = useHarness({ worker: true });
let dashboard: TestDashboard;
let browser: Browser;
let page: Page;
let dir: string;
/** Dialogs a page opened that the test did not expect (an alert from injected script, say). */
const unexpectedDialogs: string[] = [];
let acceptConfirm = false;

const TEMPORAL_UI = 'http://temporal-ui.example:8080';
const XSS = '<img src=x onerror="window.xss=1"> and <script>window.xss=2</script> done';
const NOTES = [
  { id: 'intro', reply: '# Intro\n\nThe page explains **setup** in three steps:\n\n1. install\n2. run `up`' },
  { id: 'xss', reply: XSS },
  { id: 'api', reply: '| field | type |\n|---|---|\n| id | string |' },
  { id: 'faq', reply: 'Five questions, *answered*.' },
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-pages-'));
  await writeFile(path.join(dir, 'notes.jsonl'), NOTES.map((r) => JSON.stringify(r)).join('\n'));
  await writeFile(
    path.join(dir, 'many.jsonl'),
    Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ id: `k${String(i + 1).padStart(5, '0')}` })).join('\n'),
  );
  dashboard = await startDashboard(h, { TEMPORAL_UI_URL: TEMPORAL_UI });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('dialog', (d) => {
    if (d.type() === 'confirm' && acceptConfirm) return void d.accept();
    unexpectedDialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  // The printed address: its token becomes the cookie, and leaves the address bar.
  await page.goto(dashboard.url);
  expect(page.url()).toBe(`${dashboard.base}/`);
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
  expect(unexpectedDialogs).toEqual([]);
});

/** A job made through the CLI, waited on until its test units ran (READY). */
async function readyJob(name: string, args: string[]): Promise<string> {
  const { jobId } = await h.cliJson<{ jobId: string }>(
    ['create', ...args, '--rehearse', '--name', name, '--test-units', '1'],
    { cwd: dir },
  );
  await waitForStatus(h, jobId, (s) => s.status === 'READY');
  return jobId;
}

/** What `read` gives, once it is `expected` (pages change by events and fetches, not at once). */
async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (JSON.stringify(last) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  expect(last).toEqual(expected);
}

const badge = () => page.locator('h1 .badge');
const button = (name: string) => page.getByRole('button', { name, exact: true });
const at = (route: string) => page.goto(`${dashboard.base}${route}`);

describe('the dashboard in Chromium', () => {
  let notesJob: string;

  it('approves a READY job from its page and follows it live to its end', async () => {
    notesJob = await readyJob('notes', [
      '--jsonl',
      'notes.jsonl',
      '--key',
      'id',
      '--prompt',
      'Write notes on {{id}} to the file out/{{id}}.md [[fault:slow=800]] [[reply:{{reply}}]]',
      '--allowed-tools',
      'Write',
      '--permission-mode',
      'acceptEdits',
      '--concurrency',
      '1',
    ]);
    await at(`/jobs/${notesJob}`);
    await eventually(() => badge().textContent(), 'READY');
    // The buttons the lifecycle allows at READY, and only those.
    for (const [name, enabled] of [
      ['Approve', true],
      ['Reject…', true],
      ['Pause', false],
      ['Resume', false],
      ['Cancel', true],
      ['Retry failed', false],
    ] as const)
      expect([name, await button(name).isEnabled()]).toEqual([name, enabled]);
    await expect(page.locator('section.tests').textContent()).resolves.toContain('intro');
    const link = page.getByRole('link', { name: 'open in the Temporal Web UI' });
    await eventually(() => link.getAttribute('href'), `${TEMPORAL_UI}/namespaces/default/workflows/${notesJob}`);
    await screenshot(page, 'job-ready');

    // From here on nothing reloads the page: what changes arrives by server-sent events.
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 1));
    await button('Approve').click();
    await page.locator('h1 .badge', { hasText: 'RUNNING' }).waitFor();
    expect(await button('Pause').isEnabled()).toBe(true);
    expect(await button('Approve').isEnabled()).toBe(false);
    await page.locator('h1 .badge', { hasText: 'COMPLETED' }).waitFor({ timeout: 120_000 });
    await page.getByText('4 of 4 ended').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);
    for (const name of ['Approve', 'Pause', 'Resume', 'Cancel', 'Retry failed'])
      expect([name, await button(name).isEnabled()]).toEqual([name, false]);
    await page.locator('svg.chart polyline').waitFor();
    await eventually(() => page.locator('section.units tbody .badge.unit-succeeded').count(), 4);
    await screenshot(page, 'job');

    // The jobs page: the job with its state, filtered by state, searched by name.
    await at('/');
    const row = page.locator('table.jobs tbody tr', { hasText: notesJob });
    await eventually(() => row.locator('.badge').textContent(), 'COMPLETED');
    await expect(row.textContent()).resolves.toContain('4/4');
    await page.getByLabel('State').selectOption('RUNNING');
    await page.locator('table.jobs tbody tr', { hasText: 'No jobs match' }).waitFor();
    await page.getByLabel('State').selectOption('COMPLETED');
    await row.waitFor();
    await page.getByLabel('Name').fill('no-such-name');
    await button('Search').click();
    await page.locator('table.jobs tbody tr', { hasText: 'No jobs match' }).waitFor();
    expect(new URL(page.url()).search).toBe('?state=COMPLETED&q=no-such-name');
  });

  it('opens a job from anywhere on its row of the jobs page', async () => {
    await at('/');
    const row = page.locator('table.jobs tbody tr', { hasText: notesJob });
    await row.locator('td.num').click();
    await page.waitForURL(`${dashboard.base}/jobs/${notesJob}`);
    await at('/');
    await page.getByRole('link', { name: notesJob, exact: true }).click();
    await page.waitForURL(`${dashboard.base}/jobs/${notesJob}`);
  });

  it('shows a unit: its Markdown rendered, a tool call unfolded with its input and output', async () => {
    await at(`/jobs/${notesJob}`);
    await page.getByRole('link', { name: 'intro', exact: true }).first().click();
    await page.getByRole('heading', { name: 'intro succeeded' }).waitFor();
    const result = page.locator('section.result .markdown');
    await eventually(() => result.locator('h1').textContent(), 'Intro');
    await eventually(() => result.locator('strong').textContent(), 'setup');
    await eventually(() => result.locator('ol li').count(), 2);
    await eventually(() => result.locator('code').textContent(), 'up');

    const call = page.locator('details.tool', { hasText: 'Write' }).first();
    expect(await call.locator('pre').first().isVisible()).toBe(false);
    await call.locator('summary').click();
    await expect(call.locator('pre').first().textContent()).resolves.toContain('"file_path"');
    await eventually(() => call.locator('pre').first().isVisible(), true);
    await expect(call.textContent()).resolves.toMatch(/output[\s\S]*(created|written|updated)/i);
    await screenshot(page, 'unit');
  });

  it('renders a result holding HTML and script inert', async () => {
    await at(`/jobs/${notesJob}/units/xss`);
    await page.locator('section.result').waitFor();
    // Shown as what it is: no handler attribute and no script survive, and nothing ran.
    await expect(page.locator('section.result').textContent()).resolves.toContain('done');
    expect(await page.locator('[onerror]').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (globalThis as unknown as { xss?: number }).xss)).toBeUndefined();
    // The prompt and the tool's input show the raw text, as text.
    await page.locator('details.prompt summary').first().click();
    await expect(page.locator('details.prompt pre').first().textContent()).resolves.toContain('<img src=x onerror=');
  });

  it('rejects a READY job with feedback and a revised prompt from its page', async () => {
    const jobId = await readyJob('rejected', ['--jsonl', 'notes.jsonl', '--key', 'id', '--prompt', 'Note {{id}}']);
    await at(`/jobs/${jobId}`);
    await button('Reject…').click();
    await page.getByLabel('What was wrong with the test results?').fill('Too terse: say more');
    await page.getByLabel(/Revised prompt/).fill('Write longer notes on {{id}}');
    await screenshot(page, 'job-reject');
    await button('Reject and test again').click();
    // Tested again with the new prompt, and READY for a decision again.
    const status = await waitForStatus(h, jobId, (s) => s.status === 'READY' && s.templateVersion === 2);
    expect(status.templateVersion).toBe(2);
    await page.locator('section.tests', { hasText: 'Write longer notes on' }).waitFor();
    await eventually(() => badge().textContent(), 'READY');
  });

  it('pauses, resumes and cancels a running job from its page', async () => {
    const jobId = await readyJob('paused', [
      '--jsonl',
      'notes.jsonl',
      '--key',
      'id',
      '--prompt',
      'Slow note on {{id}} [[fault:slow=4000]]',
      '--concurrency',
      '1',
    ]);
    await at(`/jobs/${jobId}`);
    await button('Approve').click();
    await page.locator('h1 .badge', { hasText: 'RUNNING' }).waitFor();
    await button('Pause').click();
    await page.locator('h1 .badge', { hasText: 'PAUSED' }).waitFor();
    expect(await button('Resume').isEnabled()).toBe(true);
    expect(await button('Pause').isEnabled()).toBe(false);
    await screenshot(page, 'job-paused');
    await button('Resume').click();
    await page.locator('h1 .badge', { hasText: 'RUNNING' }).waitFor();
    acceptConfirm = true;
    await button('Cancel').click();
    await page.locator('h1 .badge', { hasText: 'CANCELLED' }).waitFor({ timeout: 60_000 });
    acceptConfirm = false;
    const status = await waitForStatus(h, jobId, (s) => s.status === 'CANCELLED');
    expect(status.counts.cancelled).toBeGreaterThan(0);
    // An ended job with cancelled units can run them again.
    await eventually(() => button(`Retry failed (${status.counts.cancelled})`).isEnabled(), true);
  });

  it('shows why the breaker paused a job, and resumes it ignoring the breaker', async () => {
    const spec = await writeSpec(dir, {
      name: 'breaker-page',
      source: { type: 'jsonl', path: 'many.jsonl', key: 'id', limit: 30 },
      prompt: 'x',
      testUnits: 0,
      concurrency: 2,
      breaker: { window: 5, share: 0.8 },
      agent: { type: 'command', command: ['sh', '-c', 'echo "no such table" >&2; exit 3'], retryDelaySeconds: 1 },
      retries: 0,
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', spec], { cwd: dir });
    await waitForStatus(h, jobId, (s) => s.status === 'PAUSED');
    await at(`/jobs/${jobId}`);
    await page.locator('h1 .badge', { hasText: 'PAUSED' }).waitFor();
    expect(await page.locator('p.message').textContent()).toMatch(
      /^5 of the last 5 units failed with AgentFailed: sh exited with code 3.*; fix the spec and resume, or resume --ignore-breaker$/,
    );
    await screenshot(page, 'job-breaker');
    await button('Resume, ignoring the breaker').click();
    await page.locator('h1 .badge', { hasText: 'FAILED' }).waitFor({ timeout: 60_000 });
    const status = await waitForStatus(h, jobId, (s) => s.status === 'FAILED');
    expect(status.counts.failed).toBe(30);
    expect(await button('Resume, ignoring the breaker').count()).toBe(0);
  });

  it('pages through a 10,000-unit job, filters, searches and sorts it on the server', async () => {
    const jobId = await readyJob('many', ['--jsonl', 'many.jsonl', '--key', 'id', '--prompt', 'Look at {{id}}']);
    await at(`/jobs/${jobId}`);
    const units = page.locator('section.units');
    const firstKey = () => units.locator('tbody tr td:nth-child(2)').first().textContent();
    await eventually(() => firstKey(), 'k00001');
    expect(await units.locator('tbody tr').count()).toBe(50);
    for (let i = 0; i < 3; i += 1) await units.getByRole('button', { name: 'Next →' }).click();
    await units.getByText('page 4').waitFor();
    await eventually(() => firstKey(), 'k00151');
    await units.getByRole('button', { name: '← Previous' }).click();
    await eventually(() => firstKey(), 'k00101');

    await units.getByLabel('Key').fill('k09999');
    await units.getByRole('button', { name: 'Search' }).click();
    await units.getByText('page 1').waitFor();
    await eventually(() => units.locator('tbody tr').count(), 1);
    await eventually(() => firstKey(), 'k09999');
    await units.getByLabel('Key').fill('');
    await units.getByRole('button', { name: 'Search' }).click();

    // The one test unit ran: it is the only one with a duration, and the only succeeded.
    await units.getByLabel('Sort').selectOption('duration');
    await eventually(() => units.locator('tbody tr').first().locator('.badge').textContent(), 'succeeded');
    await units.getByLabel('Status').selectOption('succeeded');
    await eventually(() => units.locator('tbody tr').count(), 1);
    await units.getByLabel('Status').selectOption('pending');
    await units.getByLabel('Sort').selectOption('unit');
    await eventually(() => units.locator('tbody tr').count(), 50);
    await units.getByRole('button', { name: 'Next →' }).click();
    await units.getByText('page 2').waitFor();
    await screenshot(page, 'job-10000-units');
  });

  it("draws a pipeline's graph on its stages' pages, each stage a link to its job", async () => {
    await writeSpec(
      dir,
      {
        name: 'notes-pipeline',
        stages: [
          {
            name: 'draft',
            source: { type: 'jsonl', path: 'notes.jsonl', key: 'id' },
            prompt: 'Draft {{id}}',
            agent: { rehearse: true },
            testUnits: 0,
          },
          {
            name: 'review',
            needs: ['draft'],
            source: { type: 'stage', from: 'draft' },
            prompt: 'Review the draft of {{id}}',
            agent: { rehearse: true },
            testUnits: 0,
          },
        ],
      },
      'pipeline.yaml',
    );
    const { pipelineId } = await h.cliJson<{ pipelineId: string }>(['create', 'pipeline.yaml'], { cwd: dir });
    await waitFor(
      async () => (await h.cliJson<{ state: string }>(['status', pipelineId])).state === 'COMPLETED',
      120_000,
      `${pipelineId} to complete`,
    );
    await at(`/jobs/${pipelineId}.draft`);
    const stages = page.locator('.pipeline .stage');
    await eventually(() => stages.count(), 2);
    await eventually(() => page.locator('.pipeline .stage.current strong').textContent(), 'draft');
    await eventually(() => stages.locator('.badge').allTextContents(), ['COMPLETED', 'COMPLETED']);
    expect(await page.locator('.pipeline line.edge').count()).toBe(1);
    await screenshot(page, 'pipeline');
    await stages.getByRole('link', { name: /review/ }).click();
    await page.getByRole('heading', { name: 'review COMPLETED', exact: true }).waitFor();
    await eventually(() => page.locator('.pipeline .stage.current strong').textContent(), 'review');

    // Every job of this file on the jobs page, newest first.
    await at('/');
    await page.locator('table.jobs tbody tr', { hasText: 'draft' }).waitFor();
    await screenshot(page, 'jobs');
  });
});
