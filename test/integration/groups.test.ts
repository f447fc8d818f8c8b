/**
 * Short units run several to an activity, and each is still settled, recorded and retried on
 * its own: a unit that fails once in a group runs again by itself and succeeds; a unit that fails
 * for good fails alone; the counts add up; the Web UI's history shows the groups by their keys.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { JOB_WORKFLOW_TYPE } from '../../workflows/messages.js';
import { useHarness, parseJsonl, waitFor, waitForStatus, writeSpec } from '../support/harness.js';

// Fails once for keys ending in 7 (a marker file remembers), for good (exit 9) for key u-13.
const AGENT = `
key="$1"; marks="$2"
[ "$key" = u-13 ] && { echo "no luck" >&2; exit 9; }
case "$key" in *7) [ -e "$marks/$key" ] || { touch "$marks/$key"; echo "flaky" >&2; exit 1; } ;; esac
echo "done $key"
`;

describe('short units in groups', () => {
  const h = useHarness({ worker: true });

  it('runs short units in groups, each settled and retried on its own', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'groups-'));
    const marks = path.join(dir, 'marks');
    await mkdir(marks);
    const keys = Array.from({ length: 60 }, (_, i) => `u-${i + 1}`);
    await writeFile(path.join(dir, 'keys.jsonl'), keys.map((id) => JSON.stringify({ id })).join('\n'));
    await writeFile(path.join(dir, 'agent.sh'), AGENT);
    const file = await writeSpec(dir, {
      name: 'groups',
      source: { type: 'jsonl', path: 'keys.jsonl', key: 'id' },
      prompt: 'unit {{_key}}',
      concurrency: 2,
      testUnits: 0,
      retries: 3,
      agent: {
        type: 'command',
        command: ['sh', path.join(dir, 'agent.sh'), '{{_key}}', marks],
        nonRetryableExitCodes: [9],
        retryDelaySeconds: 1,
      },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    const status = await waitForStatus(h, jobId, (s) => ['COMPLETED', 'FAILED'].includes(s.status));

    expect(status.status).toBe('FAILED');
    expect(status.counts).toMatchObject({ total: 60, succeeded: 59, failed: 1, cancelled: 0, pending: 0, running: 0 });

    const results = parseJsonl<{ key: string; status: string; attempts: number; error: string | null }>(
      (await h.cli(['results', jobId])).stdout,
    );
    expect(results).toHaveLength(60);
    const byKey = new Map(results.map((r) => [r.key, r]));
    expect(byKey.get('u-13')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(byKey.get('u-13')!.error).toMatch(/^AgentExitNonRetryable/);
    for (const key of ['u-7', 'u-17', 'u-27', 'u-37', 'u-47', 'u-57']) {
      expect(byKey.get(key)).toMatchObject({ status: 'succeeded', attempts: 2 });
    }
    expect(byKey.get('u-20')).toMatchObject({ status: 'succeeded', attempts: 1 });

    // Every attempt is recorded once, numbered per unit.
    const attempts = await h.query<{ key: string; numbers: number[] }>(
      `SELECT u.key, array_agg(a.attempt ORDER BY a.id) AS numbers FROM attempts a
       JOIN units u ON u.job_id = a.job_id AND u.unit_id = a.unit_id WHERE a.job_id = $1 GROUP BY u.key`,
      [jobId],
    );
    const numbers = new Map(attempts.map((a) => [a.key, a.numbers]));
    expect(numbers.get('u-7')).toEqual([1, 2]);
    expect(numbers.get('u-20')).toEqual([1]);
    expect([...numbers.values()].flat()).toHaveLength(66);

    // Units ran in groups (after the first few told the job they are short), named by their keys.
    const client = await h.client();
    const handle = client.workflow.getHandle(jobId);
    expect((await handle.describe()).type).toBe(JOB_WORKFLOW_TYPE);
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
    const groups = scheduled.filter((e) => e.activityTaskScheduledEventAttributes!.activityType!.name === 'runAgents');
    expect(groups.length).toBeGreaterThan(0);
    expect(scheduled.length).toBeLessThan(60);
    const summaries = groups.map((e) => Buffer.from(e.userMetadata?.summary?.data ?? []).toString());
    expect(summaries.some((s) => /^"?\d+ units: u-\d+, u-\d+/.test(s))).toBe(true);
  });

  it('cancels a job mid-group: what finished stands, the rest is cancelled, the counts add up', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'groups-cancel-'));
    const keys = Array.from({ length: 300 }, (_, i) => `c-${i + 1}`);
    await writeFile(path.join(dir, 'keys.jsonl'), keys.map((id) => JSON.stringify({ id })).join('\n'));
    const file = await writeSpec(dir, {
      name: 'groups-cancel',
      source: { type: 'jsonl', path: 'keys.jsonl', key: 'id' },
      prompt: 'unit {{_key}}',
      concurrency: 2,
      testUnits: 0,
      agent: { type: 'command', command: ['sh', '-c', 'sleep 0.2; echo done'] },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    const succeededSoFar = async () =>
      (
        await h.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM units WHERE job_id = $1 AND status = 'succeeded'`,
          [jobId],
        )
      )[0]!.n;
    await waitFor(async () => (await succeededSoFar()) >= 30, 60_000, '30 units to succeed');

    const cancelled = await h.cliJson<{ status: string; counts: Record<string, number> }>(['cancel', jobId]);
    expect(cancelled.status).toBe('CANCELLED');
    const { counts } = cancelled;
    expect(counts.succeeded! + counts.cancelled!).toBe(300);
    expect(counts).toMatchObject({ failed: 0, pending: 0, running: 0 });
    expect(counts.succeeded).toBeGreaterThanOrEqual(30);
    const byStatus = await h.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM units WHERE job_id = $1 GROUP BY status ORDER BY status',
      [jobId],
    );
    expect(byStatus).toEqual([
      { status: 'cancelled', n: counts.cancelled },
      { status: 'succeeded', n: counts.succeeded },
    ]);
    // No succeeded unit lacks its succeeded attempt.
    const [{ n: orphans }] = (await h.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM units u WHERE u.job_id = $1 AND u.status = 'succeeded' AND NOT EXISTS
         (SELECT 1 FROM attempts a WHERE a.job_id = u.job_id AND a.unit_id = u.unit_id AND a.error_type IS NULL AND a.finished_at IS NOT NULL)`,
      [jobId],
    )) as [{ n: number }];
    expect(orphans).toBe(0);
  });

  it('holds each unit of a group to its own timeout', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'groups-timeout-'));
    const keys = Array.from({ length: 30 }, (_, i) => `t-${i + 1}`);
    await writeFile(path.join(dir, 'keys.jsonl'), keys.map((id) => JSON.stringify({ id })).join('\n'));
    const file = await writeSpec(dir, {
      name: 'groups-timeout',
      source: { type: 'jsonl', path: 'keys.jsonl', key: 'id' },
      prompt: 'unit {{_key}}',
      concurrency: 1,
      testUnits: 0,
      retries: 0,
      agent: {
        type: 'command',
        // t-6 hangs past its 2 s; the rest take 50 ms.
        command: ['sh', '-c', '[ "$1" = t-6 ] && sleep 30; echo done', 'agent', '{{_key}}'],
        timeoutSeconds: 2,
      },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    const status = await waitForStatus(h, jobId, (s) => ['COMPLETED', 'FAILED'].includes(s.status), 60_000);
    expect(status.counts).toMatchObject({ total: 30, succeeded: 29, failed: 1 });
    const [attempt] = await h.query<{ error_type: string; duration_ms: number }>(
      `SELECT a.error_type, a.duration_ms FROM attempts a JOIN units u ON u.job_id = a.job_id AND u.unit_id = a.unit_id
       WHERE a.job_id = $1 AND u.key = 't-6'`,
      [jobId],
    );
    expect(attempt!.error_type).toBe('AgentTimedOut');
    expect(attempt!.duration_ms).toBeLessThan(10_000);
    // It ran in a group, and the units after it in that group still ran.
    const history = await (await h.client()).workflow.getHandle(jobId).fetchHistory();
    const summaries = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runAgents')
      .map((e) => Buffer.from(e.userMetadata?.summary?.data ?? []).toString());
    expect(summaries.some((s) => /\bt-6, t-7\b/.test(s))).toBe(true);
  });
});
