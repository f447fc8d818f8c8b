/**
 * Agent output cannot hurt the worker, through a real worker process: a unit printing one 50 MB
 * line and a unit printing 2,000,000 stderr lines (on 2b7a411 the first took the worker to V8's
 * 4 GB heap limit, the second left 2,000,001 event rows) leave its RSS within ~100 MB of where
 * it was, the job's other units succeed, and the worker lives on. An agent past its
 * `limits.outputBytes` is stopped and fails OutputTooLarge, once.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { makeDocs, useHarness, waitForStatus, writeSpec } from '../support/harness.js';

const h = useHarness();

/** The process's resident set, in MB. */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

const HOSTILE = [
  'case "$1" in',
  "  doc02.md) head -c 50000000 /dev/zero | tr '\\0' x; echo;;",
  '  doc04.md) yes "a stderr line" | head -n 2000000 >&2; echo flooded;;',
  '  *) echo "fine $1";;',
  'esac',
].join('\n');

describe('hostile agent output', () => {
  it('a 50 MB line and 2,000,000 stderr lines: the worker stays small and alive, the other units succeed', async () => {
    const worker = await h.startWorker();
    const dir = await makeDocs(6);
    const warmUp = await writeSpec(dir, {
      name: 'warm-up',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'x',
      testUnits: 0,
      agent: { type: 'command', command: ['sh', '-c', 'echo warm'] },
    });
    expect((await h.runJob([warmUp], { cwd: dir })).status).toBe('COMPLETED');
    const before = await rssMb(worker.pid);

    const file = await writeSpec(dir, {
      name: 'hostile',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'x',
      testUnits: 0,
      concurrency: 3,
      retries: 0,
      agent: { type: 'command', command: ['sh', '-c', HOSTILE, 'agent', '{{file_name}}'] },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    let peak = before;
    const sampler = setInterval(() => {
      void rssMb(worker.pid).then(
        (mb) => (peak = Math.max(peak, mb)),
        () => undefined,
      );
    }, 100);
    let done;
    try {
      done = await waitForStatus(h, jobId, (s) => ['COMPLETED', 'FAILED'].includes(s.status), 240_000);
    } finally {
      clearInterval(sampler);
    }
    expect(done.counts).toMatchObject({ total: 6, succeeded: 6, failed: 0 });
    expect(worker.process.exitCode).toBeNull();
    expect(peak - before).toBeLessThan(100);

    // The long line: cut and marked; the result keeps its 1 MiB limit.
    const results = await h.resultsByKey<{ key: string; result: string }>(jobId);
    expect(results['docs/doc02.md']!.result.length).toBeLessThanOrEqual(1024 * 1024);
    const [line] = await h.query<{ text: string }>(
      `SELECT e.data->>'text' AS text FROM events e JOIN attempts a ON a.id = e.attempt_id
       JOIN units u ON u.job_id = a.job_id AND u.unit_id = a.unit_id WHERE a.job_id = $1 AND u.key = 'docs/doc02.md'
       AND e.type = 'stdout' ORDER BY e.seq LIMIT 1`,
      [jobId],
    );
    expect(line!.text.length).toBeLessThan(4_300_000);
    expect(line!.text).toMatch(/ … \[line cut: 45,805,696 more characters\]$/);

    // The flood: 10,000 events kept (the first 9,000, the last 1,000) and one that says what was left out.
    const events = await h.query<{ type: string; n: number }>(
      `SELECT e.type, count(*)::int AS n FROM events e JOIN attempts a ON a.id = e.attempt_id
       JOIN units u ON u.job_id = a.job_id AND u.unit_id = a.unit_id WHERE a.job_id = $1 AND u.key = 'docs/doc04.md'
       GROUP BY e.type ORDER BY e.type`,
      [jobId],
    );
    const byType: Record<string, number> = Object.fromEntries(events.map((e) => [e.type, e.n]));
    // stdout's one line and the stderr flood arrive on two pipes, in either order.
    expect(byType.omitted).toBe(1);
    expect(byType.stderr! + (byType.stdout ?? 0)).toBe(10_000);
    const [omitted] = await h.query<{ text: string; omitted: Record<string, { events: number }> }>(
      `SELECT e.data->>'text' AS text, e.data->'omitted' AS omitted FROM events e JOIN attempts a ON a.id = e.attempt_id
       WHERE a.job_id = $1 AND e.type = 'omitted'`,
      [jobId],
    );
    expect(Object.values(omitted!.omitted).reduce((n, o) => n + o.events, 0)).toBe(1_990_001);
    expect(omitted!.text).toMatch(/^… 1,99\d,\d{3} more stderr events \(\d+\.\d MB\)/);
    expect(omitted!.text).toContain('keeps its first 9,000 and last 1,000 events');
  });

  it('an agent past its output limit is stopped and fails OutputTooLarge, not retried', async () => {
    const dir = await makeDocs(2);
    const file = await writeSpec(dir, {
      name: 'too-large',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'x',
      testUnits: 0,
      retries: 3,
      agent: {
        type: 'command',
        command: ['sh', '-c', 'case "$1" in doc01.md) yes;; *) echo fine;; esac', 'agent', '{{file_name}}'],
        limits: { outputBytes: 20_000_000 },
      },
    });
    const done = await h.runJob([file], { cwd: dir });
    expect(done.counts).toMatchObject({ total: 2, succeeded: 1, failed: 1 });
    const attempts = await h.query<{ error_type: string; error: string }>(
      `SELECT error_type, error FROM attempts WHERE job_id = $1 AND unit_id = 1`,
      [done.jobId],
    );
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ error_type: 'OutputTooLarge' });
    expect(attempts[0]!.error).toMatch(
      /wrote more than 19 MiB of output and was stopped: raise agent.limits.outputBytes/,
    );
  });
});
