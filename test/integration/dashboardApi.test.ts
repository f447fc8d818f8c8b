/**
 * The dashboard's HTTP API through `agentic-batch dashboard`, on real parts: the token on every
 * route (missing or wrong: 401), its exchange for an HttpOnly SameSite=Strict cookie, paging and
 * filters, a unit's conversation, lifecycle moves with their errors (409 with the CLI's words),
 * cross-origin POSTs refused, no CORS, and the live event stream to the job's end.
 */
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa, type ResultPromise } from 'execa';
import { CLI, useHarness, waitForStatus } from '../support/harness.js';

const h = useHarness({ worker: true });
let server: ResultPromise;
let base: string;
let token: string;
let jobId: string;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-dashboard-'));
  await writeFile(path.join(dir, 'tasks.jsonl'), ['a', 'b', 'c'].map((id) => JSON.stringify({ id })).join('\n'));
  server = execa('node', [CLI, 'dashboard', '--port', '0', '--json'], { env: h.env(), stdin: 'ignore', reject: false });
  const first = await new Promise<string>((resolve) =>
    server.stdout!.once('data', (chunk: Buffer) => resolve(String(chunk))),
  );
  const started = JSON.parse(first) as { url: string; port: number; token: string };
  ({ token } = started);
  base = `http://127.0.0.1:${started.port}`;
  expect(started.url).toBe(`${base}/?token=${token}`);
  ({ jobId } = await h.cliJson<{ jobId: string }>(
    ['create', '--jsonl', 'tasks.jsonl', '--key', 'id', '--prompt', 'Do {{id}}', '--rehearse', '--name', 'dash'],
    { cwd: dir },
  ));
  await waitForStatus(h, jobId, (s) => s.status === 'READY');
});

afterAll(async () => {
  server.kill('SIGTERM');
  await server;
});

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
      ['GET', '/api/jobs'],
      ['GET', `/api/jobs/${jobId}`],
      ['GET', `/api/jobs/${jobId}/units`],
      ['GET', `/api/jobs/${jobId}/units/a`],
      ['GET', `/api/jobs/${jobId}/events`],
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
});
