/**
 * The job's webhook on real parts: a local receiver that refuses the first two deliveries, a
 * worker whose environment holds the signing secret. The receiver checks what a real one would:
 * the HMAC over the exact body, the delivery id (the same on retries), the events.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeDocs, useHarness, waitForStatus, writeSpec, type StatusJson } from '../support/harness.js';

const SECRET = 'whsec-test-not-a-real-secret';
const URL_TOKEN = 'url-token-9c1d7e';

interface Received {
  body: string;
  headers: http.IncomingHttpHeaders;
  answered: number;
}

/** A webhook receiver answering 500 to its first `failFirst` requests, 200 after. */
async function receiver(failFirst: number) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const answered = received.length < failFirst ? 500 : 200;
      received.push({ body, headers: req.headers, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // A token in the path, as many receivers (Slack, Zapier) take one: it must stay out of history.
  return {
    url: `http://127.0.0.1:${port}/hook/${URL_TOKEN}`,
    received,
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('the job webhook', () => {
  const h = useHarness();
  beforeAll(async () => {
    await h.startWorker({ AB_TEST_WEBHOOK_SECRET: SECRET });
  });

  const hooks: { close: () => Promise<unknown> }[] = [];
  afterAll(async () => {
    await Promise.all(hooks.map((hook) => hook.close()));
  });

  it('POSTs a signed status when the job needs approval and when it ends, retrying a failing receiver', async () => {
    const hook = await receiver(2);
    hooks.push(hook);
    const dir = await makeDocs(2);
    const file = await writeSpec(dir, {
      name: 'hooked',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Summarize {{relative_path}}.',
      testUnits: 1,
      webhook: { url: hook.url, secretEnv: 'AB_TEST_WEBHOOK_SECRET' },
      agent: { rehearse: true },
      aggregate: { prompt: 'Summarize {{results_file}}' },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    await waitForStatus(h, jobId, (s) => s.status === 'READY');
    await h.cli(['approve', jobId]);
    // The job ends once its last delivery is done.
    const hooked = (s: StatusJson) => (s as StatusJson & { webhook: { delivered: number } }).webhook.delivered === 2;
    await waitForStatus(h, jobId, (s) => s.status === 'COMPLETED' && hooked(s));

    // The READY delivery was refused twice, then accepted: three requests, one delivery id. The
    // job went on meanwhile, so its end may have been delivered first: receivers order by `at`.
    const ok = hook.received.filter((r) => r.answered === 200);
    const event = (r: Received) => r.headers['x-agentic-batch-event'];
    ok.sort((x, y) => String(event(y)).localeCompare(String(event(x))));
    expect(ok.map(event)).toEqual(['ready', 'ended']);
    const ready = hook.received.filter((r) => r.headers['x-agentic-batch-event'] === 'ready');
    expect(ready.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(new Set(ready.map((r) => r.headers['x-agentic-batch-delivery'])).size).toBe(1);
    expect(ok[0]!.headers['x-agentic-batch-delivery']).not.toBe(ok[1]!.headers['x-agentic-batch-delivery']);

    for (const r of hook.received) {
      const expected = `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`;
      expect(r.headers['x-agentic-batch-signature']).toBe(expected);
      expect(r.headers['content-type']).toBe('application/json');
    }
    const [readyBody, endedBody] = ok.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(readyBody).toMatchObject({ jobId, status: 'READY', counts: { total: 2, succeeded: 1 } });
    expect(endedBody).toMatchObject({ jobId, status: 'COMPLETED', counts: { total: 2, succeeded: 2, failed: 0 } });
    expect(Object.keys(endedBody!).sort()).toEqual(['at', 'costUsd', 'counts', 'jobId', 'report', 'status']);
    // The aggregate step's report (run by the job's agent) travels with the end.
    expect(endedBody!.report).toMatch(/^Scripted answer: .*"Summarize \//);
    expect(Date.parse(endedBody!.at as string)).toBeGreaterThan(Date.parse(readyBody!.at as string));

    const status = await h.cliJson<StatusJson & { webhook: unknown }>(['status', jobId]);
    expect(status.webhook).toEqual({ delivered: 2, failed: 0, lastError: null });
    // The secret is the worker's: never in the spec Postgres keeps, nor in what status says.
    const stored = await h.query<{ spec: unknown }>('SELECT spec FROM jobs WHERE id = $1', [jobId]);
    expect(JSON.stringify(stored[0]!.spec)).not.toContain(SECRET);
    expect(JSON.stringify(status)).not.toContain(SECRET);
    // The URL stays with the job in Postgres: not in the workflow's history (its input, the
    // deliveries' inputs, the two refusals' messages), nor in status.
    const history = JSON.stringify(await (await h.client()).workflow.getHandle(jobId).fetchHistory());
    // Payloads are base64 in the history's JSON: read them decoded.
    const decoded = [...history.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) =>
      Buffer.from(m[1]!, 'base64').toString(),
    );
    const events = [history, ...decoded].join('\n');
    expect(events).toContain('"message":"POST http://127.0.0.1:');
    expect(events).toContain('"secretEnv":"AB_TEST_WEBHOOK_SECRET"');
    expect(events.includes(URL_TOKEN)).toBe(false);
    expect(JSON.stringify(status)).not.toContain(URL_TOKEN);
  });

  it('never changes the outcome of a job whose webhook keeps failing, and says so in status', async () => {
    const dir = await makeDocs(1);
    const file = await writeSpec(dir, {
      name: 'unheard',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Summarize {{relative_path}}.',
      testUnits: 0,
      // Names a variable the worker does not have: refused at once, not retried.
      webhook: { url: 'http://127.0.0.1:9/hook', secretEnv: 'AB_TEST_NO_SUCH_SECRET' },
      agent: { rehearse: true },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    const given = (s: StatusJson) => (s as StatusJson & { webhook: { failed: number } }).webhook.failed === 1;
    await waitForStatus(h, jobId, (s) => s.status === 'COMPLETED' && given(s));
    const status = await h.cliJson<StatusJson & { webhook: { delivered: number; failed: number; lastError: string } }>([
      'status',
      jobId,
    ]);
    expect(status.counts).toMatchObject({ total: 1, succeeded: 1 });
    expect(status.webhook).toMatchObject({ delivered: 0, failed: 1 });
    expect(status.webhook.lastError).toContain(
      "WebhookSecretMissing: the webhook's secret variable AB_TEST_NO_SUCH_SECRET is not set on the worker",
    );
    const human = await h.cli(['status', jobId]);
    expect(human.stdout).toContain('webhook   0 delivered, 1 failed (last: WebhookSecretMissing');
  });

  it('refuses a webhook URL that is not http(s), creating nothing', async () => {
    const dir = await makeDocs(1);
    const file = await writeSpec(dir, {
      name: 'badhook',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'x {{relative_path}}',
      webhook: { url: 'ftp://example.com/hook' },
    });
    const refused = await h.cli(['create', file], { cwd: dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('webhook.url must be an http(s) URL');
  });
});
