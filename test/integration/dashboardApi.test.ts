/**
 * The dashboard's HTTP API through `agentic-batch dashboard`, on real parts: the token on every
 * route (missing or wrong: 401), its exchange for an HttpOnly SameSite=Strict cookie, paging and
 * filters, sorting, a unit's conversation and a worktree unit's diff, the cost timeline, the pages
 * and their Content-Security-Policy, lifecycle moves with their errors (409 with the CLI's words),
 * cross-origin POSTs refused, no CORS, and the live event stream to the job's end.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDashboard } from '../support/dashboard.js';
import { useHarness, waitForStatus, writeSpec } from '../support/harness.js';

const h = useHarness({ worker: true });
/** A secret in the dashboard's environment: no page or response may show it. */
const SECRET = 'dashboard-test-secret-4f9a';
let stop: () => Promise<void>;
let base: string;
let token: string;
let jobId: string;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-dashboard-'));
  await writeFile(path.join(dir, 'tasks.jsonl'), ['a', 'b', 'c'].map((id) => JSON.stringify({ id })).join('\n'));
  const dashboard = await startDashboard(h, { WEBHOOK_SECRET: SECRET });
  ({ token, base, stop } = dashboard);
  expect(dashboard.url).toBe(`${base}/?token=${token}`);
  ({ jobId } = await h.cliJson<{ jobId: string }>(
    ['create', '--jsonl', 'tasks.jsonl', '--key', 'id', '--prompt', 'Do {{id}}', '--rehearse', '--name', 'dash'],
    { cwd: dir },
  ));
  await waitForStatus(h, jobId, (s) => s.status === 'READY');
});

afterAll(() => stop());

const bearer = () => ({ authorization: `Bearer ${token}` });
const get = (route: string, headers: Record<string, string> = bearer()) =>
  fetch(`${base}${route}`, { headers, redirect: 'manual' });
/** A response's JSON, typed as the test expects it. */
const body = async <T = Record<string, unknown>>(response: Promise<Response>): Promise<T> =>
  (await (await response).json()) as T;
const post = (route: string, body: unknown, headers: Record<string, string> = bearer()) =>
  fetch(`${base}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    redirect: 'manual',
  });

describe('the dashboard API', () => {
  it('refuses every route without the token, or with a wrong one', async () => {
    const routes = [
      ['GET', '/'],
      ['GET', `/jobs/${jobId}`],
      ['GET', `/jobs/${jobId}/units/a`],
      ['GET', '/assets/index.js'],
      ['GET', '/api/jobs'],
      ['GET', `/api/jobs/${jobId}`],
      ['GET', `/api/jobs/${jobId}/units`],
      ['GET', `/api/jobs/${jobId}/units/a`],
      ['GET', `/api/jobs/${jobId}/events`],
      ['GET', `/api/jobs/${jobId}/timeline`],
      ['GET', `/api/jobs/${jobId}/units/a/diff`],
      ['GET', '/api/pipelines/pipe-x'],
      ...['approve', 'reject', 'pause', 'resume', 'cancel', 'retry'].map((m) => ['POST', `/api/jobs/${jobId}/${m}`]),
    ];
    for (const [method, route] of routes) {
      const wrong: Record<string, string>[] = [
        {},
        { authorization: 'Bearer wrong' },
        { cookie: 'agentic_batch_token=wrong' },
      ];
      for (const headers of wrong) {
        const r = await fetch(`${base}${route}`, { method, headers });
        expect([route, r.status]).toEqual([route, 401]);
        expect(await r.json()).toMatchObject({ error: 'missing or wrong token' });
      }
    }
    expect((await get('/?token=wrong', {})).status).toBe(401);
    // The token is kept for its owner only.
    expect((await stat(path.join(h.home, 'dashboard-token'))).mode & 0o777).toBe(0o600);
    // Nothing was approved or cancelled by all that.
    expect((await body<{ status: string }>(get(`/api/jobs/${jobId}`))).status).toBe('READY');
  });

  it('exchanges the token in the URL for an HttpOnly, SameSite=Strict cookie', async () => {
    const r = await get(`/?token=${token}`, {});
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/');
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^agentic_batch_token=${token}; Path=/; HttpOnly; SameSite=Strict$`));
    const jobs = await get('/api/jobs', { cookie: cookie.split(';')[0]! });
    expect(jobs.status).toBe(200);
    expect(jobs.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('pages and filters jobs and units, and gives a unit with its conversation', async () => {
    const ready = await body<{ jobs: unknown[] }>(get('/api/jobs?state=READY&q=dash'));
    expect(ready.jobs).toEqual([expect.objectContaining({ jobId, name: 'dash', state: 'READY', totalUnits: 3 })]);
    const job = await body(get(`/api/jobs/${jobId}`));
    expect(job).toMatchObject({ jobId, status: 'READY', testResults: [{ key: 'a', status: 'succeeded' }] });

    const page1 = await body<{ units: { key: string }[]; nextCursor: string }>(get(`/api/jobs/${jobId}/units?limit=2`));
    expect(page1.units.map((u) => u.key)).toEqual(['a', 'b']);
    const page2 = await body(get(`/api/jobs/${jobId}/units?limit=2&cursor=${page1.nextCursor}`));
    expect(page2).toEqual({ units: [expect.objectContaining({ key: 'c', status: 'pending' })], nextCursor: null });
    expect((await body<{ units: unknown[] }>(get(`/api/jobs/${jobId}/units?status=succeeded`))).units).toHaveLength(1);

    const unit = await body<{ unit: unknown; attempts: { entries: { kind: string }[] }[] }>(
      get(`/api/jobs/${jobId}/units/a`),
    );
    expect(unit.unit).toMatchObject({ key: 'a', status: 'succeeded' });
    expect(unit.attempts[0]!.entries.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['system', 'assistant', 'result']),
    );

    expect(await body(get('/api/jobs/job-nope'))).toEqual({
      error: 'no job job-nope',
      hint: 'list jobs with `agentic-batch list`',
    });
    expect((await get('/api/jobs/job-nope')).status).toBe(404);
    expect((await get(`/api/jobs/${jobId}/units?status=done`)).status).toBe(400);
  });

  it('sorts units by cost or duration with cursors of their own, and charts the cost over time', async () => {
    // The test unit ran: it alone has a duration, and it alone cost anything.
    for (const sort of ['cost', 'duration']) {
      const first = await body<{ units: { key: string; status: string }[]; nextCursor: string }>(
        get(`/api/jobs/${jobId}/units?sort=${sort}&limit=1`),
      );
      expect(first.units).toEqual([expect.objectContaining({ key: 'a', status: 'succeeded' })]);
      expect(first.nextCursor).toMatch(/^[\d.e-]+:1$/);
      const rest = await body<{ units: { key: string }[] }>(
        get(`/api/jobs/${jobId}/units?sort=${sort}&cursor=${first.nextCursor}`),
      );
      expect(rest.units.map((u) => u.key)).toEqual(['b', 'c']);
    }
    expect(await body(get(`/api/jobs/${jobId}/units?sort=price`))).toEqual({
      error: 'unknown sort "price"',
      hint: 'one of unit, cost, duration',
    });
    expect((await get(`/api/jobs/${jobId}/units?sort=cost&cursor=7`)).status).toBe(400);

    const { points } = await body<{ points: { at: string; attempts: number; costUsd: number }[] }>(
      get(`/api/jobs/${jobId}/timeline`),
    );
    expect(points[0]).toMatchObject({ attempts: 0, costUsd: 0 });
    const spent = await h.query<{ n: number; cost: number }>(
      'SELECT count(*)::int AS n, sum(cost_usd)::float8 AS cost FROM attempts WHERE job_id = $1',
      [jobId],
    );
    expect(points.at(-1)!.attempts).toBe(spent[0]!.n);
    expect(points.at(-1)!.costUsd).toBeCloseTo(spent[0]!.cost, 9);

    // A job of its own has no pipeline; a job without isolation has no diff to show.
    expect(await body(get(`/api/jobs/${jobId}`))).toMatchObject({ pipeline: null, temporalUiUrl: null });
    expect((await get('/api/pipelines/pipe-nope')).status).toBe(404);
    const diff = await get(`/api/jobs/${jobId}/units/a/diff`);
    expect(diff.status).toBe(409);
    expect(await diff.json()).toMatchObject({ error: expect.stringContaining('has no isolation') });
  });

  it("gives a worktree unit's diff from its commit", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-dashboard-diff-'));
    const repo = path.join(dir, 'repo');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
    await mkdir(repo);
    git('init', '--quiet', '--initial-branch=main');
    git('config', 'user.email', 'dev@example.com');
    git('config', 'user.name', 'Dev');
    await writeFile(path.join(repo, 'notes.txt'), 'first line\n');
    git('add', '.');
    git('commit', '--quiet', '-m', 'base');
    await writeFile(path.join(dir, 'keys.jsonl'), JSON.stringify({ id: 'x' }));
    await writeSpec(dir, {
      name: 'diffs',
      source: { type: 'jsonl', path: 'keys.jsonl', key: 'id' },
      prompt: 'Note {{id}}',
      agent: { type: 'command', command: ['sh', '-c', 'echo "edited by $0" >> notes.txt', '{{id}}'], cwd: 'repo' },
      isolation: { type: 'worktree' },
      testUnits: 0,
    });
    const done = await h.runJob(['job.yaml'], { cwd: dir });
    expect(done.status).toBe('COMPLETED');
    const diff = await body<{ commit: string; diff: string; truncated: boolean }>(
      get(`/api/jobs/${done.jobId}/units/x/diff`),
    );
    expect(diff.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(diff.diff).toContain('+++ b/notes.txt');
    expect(diff.diff).toMatch(/^\+edited by x$/m);
    expect(diff.truncated).toBe(false);
  });

  it('serves the built pages for every page address, under a policy that runs only its own scripts', async () => {
    const cookie = { cookie: `agentic_batch_token=${token}` };
    for (const route of ['/', `/jobs/${jobId}`, `/jobs/${jobId}/units/a`]) {
      const page = await get(route, cookie);
      expect([route, page.status]).toEqual([route, 200]);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await page.text();
      const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"><\/script>/.exec(html);
      expect(script).not.toBeNull();
      expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
      const asset = await get(script![1]!, cookie);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
    }
    // A page's address with the token works as a first visit too, and keeps the address.
    const visit = await get(`/jobs/${jobId}?token=${token}`, {});
    expect(visit.status).toBe(303);
    expect(visit.headers.get('location')).toBe(`/jobs/${jobId}`);
    expect((await get('/nowhere', cookie)).status).toBe(404);
  });

  it("never shows a secret from its environment or the database's password", async () => {
    const password = decodeURIComponent(new URL(h.stack.databaseUrl).password);
    const routes = [
      '/',
      `/jobs/${jobId}`,
      '/api/jobs',
      `/api/jobs/${jobId}`,
      `/api/jobs/${jobId}/units`,
      `/api/jobs/${jobId}/units/a`,
      `/api/jobs/${jobId}/timeline`,
      '/api/jobs/job-nope',
    ];
    for (const route of routes) {
      const text = await (await get(route)).text();
      expect([route, text.includes(SECRET)]).toEqual([route, false]);
      if (password) expect([route, text.includes(password)]).toEqual([route, false]);
    }
  });

  it('refuses a cross-origin POST, and one with the cookie that does not say its origin', async () => {
    const cookie = { cookie: `agentic_batch_token=${token}` };
    const foreign = await post(`/api/jobs/${jobId}/cancel`, {}, { ...cookie, origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect((await post(`/api/jobs/${jobId}/cancel`, {}, cookie)).status).toBe(403);
    expect((await post(`/api/jobs/${jobId}/cancel`, {}, { ...bearer(), origin: 'http://evil.example' })).status).toBe(
      403,
    );
    expect((await body<{ status: string }>(get(`/api/jobs/${jobId}`))).status).toBe('READY');
  });

  it('approves from its own origin, says 409 with the reason for a move the state does not allow, and streams the job to its end', async () => {
    const own = { cookie: `agentic_batch_token=${token}`, origin: base };
    const approved = await post(`/api/jobs/${jobId}/approve`, {}, own);
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'RUNNING' });

    const events = await get(`/api/jobs/${jobId}/events`);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await events.text(); // the stream ends when the job does
    const statuses = [...text.matchAll(/^data: (.*)$/gm)].map((m) => (JSON.parse(m[1]!) as { status: string }).status);
    expect(statuses.at(-1)).toBe('COMPLETED');

    const again = await post(`/api/jobs/${jobId}/approve`, {});
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({
      error: `${jobId} has already ended (COMPLETED)`,
      hint: `see it with \`agentic-batch status ${jobId}\``,
    });
    const reject = await post(`/api/jobs/${jobId}/reject`, { feedback: '' });
    expect(reject.status).toBe(400);
  });

  it("gives a long conversation a page at a time: the unit's first 500 events, the rest on request", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-dashboard-long-'));
    await writeFile(path.join(dir, 'one.jsonl'), JSON.stringify({ id: 'x' }));
    const done = await h.runJob(
      [
        '--jsonl',
        'one.jsonl',
        '--key',
        'id',
        '--prompt',
        'Talk {{id}}',
        '--test-units',
        '0',
        '--agent-command',
        'seq 1 1200',
      ],
      { cwd: dir },
    );
    type Attempt = { id: number; eventCount: number; nextEventSeq: number | null; entries: { text: string }[] };
    const unit = await body<{ attempts: Attempt[] }>(get(`/api/jobs/${done.jobId}/units/x`));
    const [attempt] = unit.attempts;
    expect(attempt).toMatchObject({ eventCount: 1200, nextEventSeq: 500 });
    expect(attempt!.entries).toHaveLength(500);
    const more = await body<{ entries: { text: string }[]; nextEventSeq: number | null }>(
      get(`/api/jobs/${done.jobId}/attempts/${attempt!.id}/events?after=500`),
    );
    expect(more.entries[0]!.text).toBe('501');
    expect(more.nextEventSeq).toBe(1000);
    const rest = await body<{ entries: unknown[]; nextEventSeq: number | null }>(
      get(`/api/jobs/${done.jobId}/attempts/${attempt!.id}/events?after=1000`),
    );
    expect(rest).toMatchObject({ nextEventSeq: null });
    expect(rest.entries).toHaveLength(200);
    expect((await get(`/api/jobs/${jobId}/attempts/${attempt!.id}/events`)).status).toBe(404);
    const bad = await get(`/api/jobs/${done.jobId}/attempts/${attempt!.id}/events?after=five`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'after "five" is not a whole number' });
  });
});
