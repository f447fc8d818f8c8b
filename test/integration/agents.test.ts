/**
 * The agents other than claude, end to end through the engine: the `command` agent (any
 * program) with a retryable and a non-retryable exit, and the real `codex` binary against the
 * scripted Responses API, tools and a fault included.
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseJsonl, useHarness } from '../support/harness.js';

const h = useHarness({ worker: true });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-agents-'));
  await writeFile(
    path.join(dir, 'tickets.jsonl'),
    ['ok-1', 'flaky-2', 'broken-3', 'ok-4'].map((id) => JSON.stringify({ id })).join('\n'),
  );
});

const run = (args: string[]) => h.runJob(args, { cwd: dir });

describe('command agent', () => {
  it('runs any program per unit: a retryable exit is retried, a listed one is not', async () => {
    // flaky-2 fails once (exit 3), then succeeds; broken-3 exits 4, listed as not worth retrying.
    const script = path.join(dir, 'fix.sh');
    await writeFile(
      script,
      `#!/bin/sh
prompt=$(cat)
case "$1" in
  flaky-*) if [ ! -e "$1.tried" ]; then touch "$1.tried"; echo "transient failure" >&2; exit 3; fi ;;
  broken-*) echo "cannot fix $1" >&2; exit 4 ;;
esac
echo "fixed $1"
echo "prompt was: $prompt"
`,
    );
    await chmod(script, 0o755);
    await writeFile(
      path.join(dir, 'command.yaml'),
      `name: fixer
source: { type: jsonl, path: tickets.jsonl, key: id }
prompt: "Fix ticket {{id}}"
agent: { type: command, command: ["./fix.sh", "{{_key}}"], stdin: prompt, nonRetryableExitCodes: [4], retryDelaySeconds: 1 }
testUnits: 0
concurrency: 2
`,
    );
    const status = await run(['command.yaml']);
    expect(status).toMatchObject({ status: 'FAILED', counts: { total: 4, succeeded: 3, failed: 1 } });

    const byKey = await h.resultsByKey<{
      key: string;
      status: string;
      result: string | null;
      error: string | null;
      attempts: number;
    }>(status.jobId);
    expect(byKey['ok-1']).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      result: 'fixed ok-1\nprompt was: Fix ticket ok-1',
    });
    expect(byKey['flaky-2']).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(byKey['broken-3']).toMatchObject({ status: 'failed', attempts: 1 });
    expect(byKey['broken-3']!.error).toBe('AgentExitNonRetryable: fix.sh exited with code 4: cannot fix broken-3');

    // Every line it printed, stdout and stderr, is in the conversation.
    const events = await h.query<{ type: string; text: string }>(
      `SELECT e.type, e.data->>'text' AS text FROM events e JOIN attempts a ON a.id = e.attempt_id
       JOIN units u ON u.job_id = a.job_id AND u.unit_id = a.unit_id WHERE a.job_id = $1 AND u.key = 'flaky-2' ORDER BY a.id, e.seq`,
      [status.jobId],
    );
    expect(events).toEqual([
      { type: 'stderr', text: 'transient failure' },
      { type: 'stdout', text: 'fixed flaky-2' },
      { type: 'stdout', text: 'prompt was: Fix ticket flaky-2' },
    ]);
  });
});

describe('codex agent', () => {
  it('runs the real codex against the scripted Responses API: files written, an overload retried', async () => {
    await writeFile(
      path.join(dir, 'codex.yaml'),
      `name: codex-notes
source: { type: jsonl, path: tickets.jsonl, key: id, limit: 3 }
prompt: "{{id}}: write a note to the file notes/{{_key}}.txt"
agent: { type: codex, rehearse: true, sandbox: workspace-write, retryDelaySeconds: 1, pricing: { input: 1.25, output: 10 } }
testUnits: 1
concurrency: 3
`,
    );
    // Each unit's first request is overloaded (a 503, which codex words "at capacity"), then succeeds.
    const spec = await readFile(path.join(dir, 'codex.yaml'), 'utf8');
    await writeFile(path.join(dir, 'codex.yaml'), spec.replace('prompt: "{{id}}:', 'prompt: "[[fault:529x1]] {{id}}:'));
    const status = await run(['codex.yaml']);
    expect(status).toMatchObject({ status: 'COMPLETED', counts: { total: 3, succeeded: 3, failed: 0 } });
    expect(status.costUsd).toBeGreaterThan(0);

    for (const id of ['ok-1', 'flaky-2', 'broken-3']) {
      expect(await readFile(path.join(dir, 'notes', `${id}.txt`), 'utf8')).toContain(
        `${id}: write a note to the file notes/${id}.txt`,
      );
    }
    const results = parseJsonl<{ key: string; result: string; attempts: number; sessionId: string }>(
      (await h.cli(['results', status.jobId])).stdout,
    );
    for (const r of results) {
      expect(r.result).toBe(`Scripted answer: wrote ${path.join(dir, 'notes', `${r.key}.txt`)}`);
      expect(r.attempts).toBe(2);
      expect(r.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    }
    const attempts = await h.query<{ error_type: string | null; tools_used: string[] }>(
      'SELECT error_type, tools_used FROM attempts WHERE job_id = $1 ORDER BY id',
      [status.jobId],
    );
    expect(attempts.filter((a) => a.error_type === 'AgentOverloaded')).toHaveLength(3);
    expect(attempts.filter((a) => a.error_type === null).every((a) => a.tools_used.includes('file_change'))).toBe(true);

    const show = await h.cli(['show', status.jobId, 'flaky-2']);
    expect(show.exitCode).toBe(0);
    expect(show.stdout).toContain('AgentOverloaded: Selected model is at capacity');
  });
});
