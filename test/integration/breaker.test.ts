/**
 * The breaker on real parts: 200 JSONL records through the real claude against the scripted
 * API, every record after the 5th refused by the API (403, which fails a unit for good). The job
 * must pause itself within its window of 20, having started nothing past it but what was running,
 * say why from the CLI, status --json and its webhook, start nothing while paused, and go on once
 * resumed through MCP with ignoreBreaker.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startDashboard } from '../support/dashboard.js';
import { CLI, makeDocs, useHarness, waitForStatus, writeSpec, type StatusJson } from '../support/harness.js';

const UNITS = 200;
const CONCURRENCY = 4;
const WINDOW = 20;

/** A webhook receiver keeping every event's body. */
async function receiver() {
  const events: { event: string; body: Record<string, unknown> }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      events.push({ event: String(req.headers['x-agentic-batch-event']), body: JSON.parse(body) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, events, close: () => new Promise((r) => server.close(r)) };
}

type BreakerJson = StatusJson & {
  breaker: { window: number; share: number; ignored: boolean; tripped: Record<string, unknown> | null } | null;
};

describe('the breaker', () => {
  const h = useHarness({ worker: true });
  let hook: Awaited<ReturnType<typeof receiver>>;
  afterAll(() => hook?.close());

  it('pauses a 200-unit job whose units fail the same way after the 5th, within its window', async () => {
    hook = await receiver();
    const dir = await makeDocs(0);
    const records = Array.from({ length: UNITS }, (_, i) => ({ id: i + 1, fault: i < 5 ? '' : '[[fault:403]]' }));
    await writeFile(path.join(dir, 'records.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
    const file = await writeSpec(dir, {
      name: `breaker-${randomBytes(3).toString('hex')}`,
      source: { type: 'jsonl', path: 'records.jsonl', key: 'id' },
      prompt: '{{fault}} Classify record {{id}} in one word.',
      agent: { rehearse: true },
      concurrency: CONCURRENCY,
      testUnits: 0,
      webhook: { url: hook.url },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    const paused = (await waitForStatus(
      h,
      jobId,
      (s) => s.status !== 'RUNNING' && s.status !== 'CREATED',
    )) as BreakerJson;
    expect(paused.status).toBe('PAUSED');
    expect(paused.message).toMatch(
      /^16 of the last 20 units failed with AgentAuthError: .*permission denied.*; fix the spec and resume, or resume --ignore-breaker$/,
    );
    expect(paused.breaker).toMatchObject({ window: WINDOW, share: 0.8, ignored: false });
    expect(paused.breaker!.tripped).toMatchObject({ signature: 'AgentAuthError', failed: 16, window: WINDOW });

    // Let the units that were running settle, then nothing more may start.
    const settled = await waitForStatus(h, jobId, (s) => s.counts.running === 0);
    const started = async () =>
      Number(
        (
          await h.query<{ n: string }>('SELECT count(DISTINCT unit_id) AS n FROM attempts WHERE job_id = $1', [jobId])
        )[0]!.n,
      );
    const startedAtPause = await started();
    // After the trip, only what was already running, and what a group of short units started
    // before its once-a-second look at the job's state (a claude run here takes ~0.7 s): at most
    // two per activity.
    const after = await h.query<{ n: string }>(
      'SELECT count(DISTINCT unit_id) AS n FROM attempts WHERE job_id = $1 AND started_at > $2',
      [jobId, paused.breaker!.tripped!.at],
    );
    expect(Number(after[0]!.n)).toBeLessThanOrEqual(2 * CONCURRENCY);
    expect(startedAtPause).toBeLessThanOrEqual(5 + 16 + 3 * CONCURRENCY);
    expect(settled.counts.succeeded).toBe(5);
    expect(settled.counts.pending).toBe(UNITS - startedAtPause);
    // Spent on the 5 that succeeded, nothing on the refusals, nothing on the 175 that never ran.
    const spent = await h.query<{ cost: number }>(
      "SELECT coalesce(sum(cost_usd), 0)::float AS cost FROM attempts WHERE job_id = $1 AND error_type = 'AgentAuthError'",
      [jobId],
    );
    expect(spent[0]!.cost).toBe(0);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await started()).toBe(startedAtPause);

    // Said by the human status and the webhook.
    expect((await h.cli(['status', jobId])).stdout).toMatch(
      /: PAUSED — 16 of the last 20 units failed with AgentAuthError: API error 403/,
    );
    const pausedEvent = hook.events.find((e) => e.event === 'paused');
    expect(pausedEvent?.body).toMatchObject({
      jobId,
      status: 'PAUSED',
      breaker: { signature: 'AgentAuthError', failed: 16 },
    });
    expect(String(pausedEvent?.body.message)).toMatch(/^16 of the last 20 units failed/);

    // Resumed from the dashboard: a fresh window, which the same failures trip again.
    const dashboard = await startDashboard(h);
    try {
      const resumed = await fetch(`${dashboard.base}/api/jobs/${jobId}/resume`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dashboard.token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(resumed.status).toBe(200);
      expect(await resumed.json()).toMatchObject({ status: 'RUNNING', breaker: { ignored: false, tripped: null } });
    } finally {
      await dashboard.stop();
    }
    const again = (await waitForStatus(
      h,
      jobId,
      (s) => s.status === 'PAUSED' && s.counts.failed >= settled.counts.failed + 16,
    )) as BreakerJson;
    expect(again.breaker!.tripped).toMatchObject({ signature: 'AgentAuthError', failed: 20 });
    await waitForStatus(h, jobId, (s) => s.counts.running === 0);
    const failedAgain = (await h.cliJson<StatusJson>(['status', jobId])).counts.failed;

    // Resumed through MCP, ignoring the breaker: it runs on, and will not pause for it again.
    const client = new Client({ name: 'breaker-test', version: '1.0.0' });
    const env = { ...(process.env as Record<string, string>), ...h.env() };
    await client.connect(new StdioClientTransport({ command: 'node', args: [CLI, 'mcp'], env, stderr: 'ignore' }));
    try {
      const answer = (await client.callTool({ name: 'resume_job', arguments: { jobId, ignoreBreaker: true } })) as {
        isError?: boolean;
        content: { text: string }[];
      };
      expect(answer.isError).toBeFalsy();
      expect(JSON.parse(answer.content[0]!.text)).toMatchObject({
        status: 'RUNNING',
        breaker: { ignored: true, tripped: null },
      });
    } finally {
      await client.close();
    }
    await waitForStatus(h, jobId, (s) => s.counts.failed > failedAgain + WINDOW);
    expect((await h.cliJson<StatusJson>(['status', jobId])).status).toBe('RUNNING');
    await h.cli(['cancel', jobId]);
  }, 300_000);
});
