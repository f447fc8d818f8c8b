/**
 * The rate-limit governor on real parts: the real claude against a scripted Messages API that
 * admits few requests a second (429 beyond), and one whose usage window (as a claude.ai
 * subscription's) is spent for a few seconds. Refusals never count against a unit's attempts:
 * with `retries: 0` every unit still succeeds, which without the governor they would not.
 */
import { describe, expect, it } from '@jest/globals';
import { SLOW_START } from '../../src/domain/index.js';
import { startScriptedApi, type ScriptedApi } from '../../src/rehearsal/scriptedApi.js';
import { makeDocs, useHarness, waitForStatus, writeSpec, type StatusJson } from '../support/harness.js';

interface ThrottledStatus extends StatusJson {
  concurrency: number;
  throttle: { allowed: number; rateLimitedLastMinute: number; pausedUntil: string | null; text: string | null };
}

describe('the rate-limit governor', () => {
  const h = useHarness({ worker: true });

  async function createJob(
    api: ScriptedApi,
    units: number,
    concurrency: number,
    env: Record<string, string>,
    prompt = 'Summarize {{relative_path}}.',
  ) {
    const dir = await makeDocs(units);
    const file = await writeSpec(dir, {
      name: 'governed',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt,
      testUnits: 0,
      concurrency,
      retries: 0,
      agent: { env: { ANTHROPIC_BASE_URL: api.url, ...env } },
    });
    return h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
  }

  /** Polls status until the job ends, keeping every status seen. */
  async function follow(jobId: string): Promise<ThrottledStatus[]> {
    const seen: ThrottledStatus[] = [];
    await waitForStatus(
      h,
      jobId,
      (s) => {
        seen.push(s as ThrottledStatus);
        return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(s.status);
      },
      240_000,
    );
    return seen;
  }

  it('keeps a job under the API rate limit: refused units wait and run again, none fails, status says so', async () => {
    const api = await startScriptedApi({ rateLimitPerSecond: 1 });
    try {
      const { jobId } = await createJob(api, 10, 8, { ANTHROPIC_API_KEY: 'sk-test-not-a-real-key' });
      const seen = await follow(jobId);
      const final = seen.at(-1)!;
      expect(final).toMatchObject({ status: 'COMPLETED', counts: { total: 10, succeeded: 10, failed: 0 } });
      expect(api.stats().rateLimited).toBeGreaterThan(0);

      const throttled = seen.find((s) => s.status === 'RUNNING' && s.throttle.text?.startsWith('throttled'));
      expect(throttled?.throttle.text).toMatch(
        /^throttled: running \d+ of 8 \(\d+ rate-limited requests? in the last minute(, starting [\d.]+ units\/s)?/,
      );
      expect(throttled!.throttle.rateLimitedLastMinute).toBeGreaterThan(0);

      // Each refusal is an attempt on record; the unit's last attempt succeeded.
      const attempts = await h.query<{ unit_id: number; attempt: number; error_type: string | null }>(
        'SELECT unit_id, attempt, error_type FROM attempts WHERE job_id = $1 ORDER BY unit_id, attempt',
        [jobId],
      );
      const refused = attempts.filter((a) => a.error_type === 'AgentRateLimited');
      expect(refused.length).toBe(api.stats().rateLimited);
      for (let unitId = 1; unitId <= 10; unitId++) {
        const own = attempts.filter((a) => a.unit_id === unitId);
        expect(own.map((a) => a.attempt)).toEqual(own.map((_, i) => i + 1));
        expect(own.at(-1)!.error_type).toBeNull();
      }
      const human = await h.cli(['status', jobId]);
      expect(human.stdout).toMatch(/units\s+10 total · 10 succeeded · 0 failed/);
    } finally {
      await api.close();
    }
  });

  it('starts slowly when nothing is known of the API: two units, then one more per unit the API answers', async () => {
    // Every answer takes 4 s: until the first arrives, only the slow start's units may run.
    const api = await startScriptedApi();
    try {
      const { jobId } = await createJob(
        api,
        8,
        8,
        { ANTHROPIC_API_KEY: 'sk-test-not-a-real-key' },
        'Summarize {{relative_path}}. [[fault:slow=4000]]',
      );
      const seen = await follow(jobId);
      expect(seen.at(-1)).toMatchObject({ status: 'COMPLETED', counts: { total: 8, succeeded: 8, failed: 0 } });
      const slow = seen.find((s) => s.throttle.text?.startsWith('slow start'));
      expect(slow?.throttle.text).toMatch(
        new RegExp(`^slow start: running [0-${SLOW_START}] of 8, one more for each unit the API admits$`),
      );

      const attempts = await h.query<{ started_at: Date }>(
        'SELECT started_at FROM attempts WHERE job_id = $1 ORDER BY started_at',
        [jobId],
      );
      expect(attempts).toHaveLength(8);
      const first = attempts[0].started_at.getTime();
      // The first SLOW_START start together; the next only once the API has answered one of them.
      expect(attempts[SLOW_START - 1].started_at.getTime() - first).toBeLessThan(3000);
      expect(attempts[SLOW_START].started_at.getTime() - first).toBeGreaterThanOrEqual(3500);
    } finally {
      await api.close();
    }
  });

  it('pauses a job whose usage window is spent until the reset, then resumes it by itself', async () => {
    // Three requests, then the window is spent for 6 s.
    const api = await startScriptedApi({ usageLimit: { requests: 3, resetSeconds: 6 } });
    try {
      // Logged in to claude.ai (an OAuth token), the CLI reads the usage window's headers.
      const { jobId } = await createJob(api, 6, 2, {
        CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-test-not-a-real-token',
        ANTHROPIC_API_KEY: '',
      });
      const seen = await follow(jobId);
      const paused = seen.find((s) => s.status === 'PAUSED');
      expect(paused).toBeDefined();
      expect(paused!.message).toMatch(/usage limit reached \(five_hour\).*; resumes by itself at \d{4}-\d\d-\d\dT/);
      expect(paused!.throttle.pausedUntil).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
      const until = Date.parse(paused!.throttle.pausedUntil!);

      const final = seen.at(-1)!;
      expect(final).toMatchObject({ status: 'COMPLETED', counts: { total: 6, succeeded: 6, failed: 0 } });
      expect(final.throttle.pausedUntil).toBeNull();
      // Nothing ran during the pause: every successful attempt after the first three started after the reset.
      const attempts = await h.query<{ started_at: Date; error_type: string | null }>(
        'SELECT started_at, error_type FROM attempts WHERE job_id = $1 ORDER BY started_at',
        [jobId],
      );
      expect(attempts.some((a) => a.error_type === 'AgentUsageLimited')).toBe(true);
      const succeeded = attempts.filter((a) => a.error_type === null);
      expect(succeeded).toHaveLength(6);
      for (const a of succeeded.slice(3)) expect(a.started_at.getTime()).toBeGreaterThanOrEqual(until - 1000);
    } finally {
      await api.close();
    }
  });
});
