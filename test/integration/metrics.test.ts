/**
 * The worker's Prometheus endpoint (`worker --metrics-port`), scraped during and after real jobs:
 * the SDK's own metrics and the engine's (agents running, runs by outcome and error type, units
 * settled by status, spend) in one scrape.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../src/stack/ports.js';
import { makeDocs, useHarness, waitFor, writeSpec } from '../support/harness.js';

const h = useHarness();
let port = 0;
let worker: Awaited<ReturnType<typeof h.startWorker>>;

beforeAll(async () => {
  port = await freePort();
  worker = await h.startWorker({}, ['--metrics-port', String(port)]);
});

const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

/** The value of the first sample of `name` whose labels include every one of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? ([\d.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`));
    if (has) return Number(m[3]);
  }
  return null;
}

describe('worker metrics', () => {
  it('says where they are served; a second worker on the same port is refused in one line', async () => {
    expect(worker.log).toContain(`metrics: http://127.0.0.1:${port}/metrics`);
    const second = await h.cli(['worker', '--metrics-port', String(port)]);
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toMatch(
      new RegExp(`error: cannot serve metrics on 127\\.0\\.0\\.1:${port}: .*Address already in use`),
    );
  });

  it('counts agents running, runs by outcome and error type, and units settled by status', async () => {
    const dir = await makeDocs(1);
    await writeFile(
      path.join(dir, 'tasks.jsonl'),
      ['a', 'b', 'c', 'bad'].map((id) => JSON.stringify({ id })).join('\n'),
    );
    const spec = await writeSpec(dir, {
      name: 'metered',
      source: { type: 'jsonl', path: 'tasks.jsonl', key: 'id' },
      prompt: 'x',
      testUnits: 0,
      retries: 0,
      agent: { type: 'command', command: ['sh', '-c', 'sleep 2; test "{{id}}" != bad'] },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', spec], { cwd: dir });
    let running = 0;
    await waitFor(
      async () => {
        running = Math.max(running, sample(await scrape(), 'agentic_batch_agents_running', { agent: 'command' }) ?? 0);
        return running > 0;
      },
      30_000,
      'an agent running in the metrics',
    );
    await waitFor(
      async () => (sample(await scrape(), 'agentic_batch_units_settled_total', { status: 'failed' }) ?? 0) >= 1,
      60_000,
      'the failed unit in the metrics',
    );
    await waitFor(
      async () => (sample(await scrape(), 'agentic_batch_units_settled_total', { status: 'succeeded' }) ?? 0) >= 3,
      60_000,
      'the succeeded units in the metrics',
    );
    const text = await scrape();
    expect(sample(text, 'agentic_batch_agent_runs_total', { agent: 'command', outcome: 'succeeded' })).toBe(3);
    expect(sample(text, 'agentic_batch_agent_runs_total', { agent: 'command', outcome: 'failed' })).toBe(1);
    expect(text).toMatch(/^agentic_batch_agent_runs_total\{[^}]*error_type="AgentFailed"[^}]*\} 1$/m);
    expect(sample(text, 'agentic_batch_agents_running', { agent: 'command' })).toBe(0);
    // The SDK's own, on the same endpoint.
    expect(text).toMatch(/^temporal_[a-z_]+/m);
    expect(sample(text, 'temporal_worker_task_slots_available', { worker_type: 'ActivityWorker' })).not.toBeNull();
    const units = await h.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM units WHERE job_id = $1 GROUP BY status ORDER BY status',
      [jobId],
    );
    // What the metrics counted is what Postgres holds.
    expect(units).toEqual([
      { status: 'failed', n: 1 },
      { status: 'succeeded', n: 3 },
    ]);
  });

  it('sums what the agents spent', async () => {
    const dir = await makeDocs(1);
    const spec = await writeSpec(dir, {
      name: 'spends',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Summarize {{relative_path}}.',
      testUnits: 0,
      agent: { rehearse: true },
    });
    const done = await h.runJob([spec], { cwd: dir });
    expect(done.status).toBe('COMPLETED');
    const text = await scrape();
    expect(sample(text, 'agentic_batch_agent_run_cost_usd_sum', { agent: 'claude' })).toBeCloseTo(done.costUsd, 6);
    expect(sample(text, 'agentic_batch_agent_run_cost_usd_count', { agent: 'claude' })).toBe(1);
  });
});
