/**
 * Records a history of every workflow path, on real parts (Temporal dev server, Postgres, a
 * worker of this build, the command agent, the stream-json emitter, the real claude against the
 * scripted API), into test/fixtures/histories/LABEL/: one file per workflow run. `npm test`
 * replays every recorded label with the current workflow code (test/unit/replay.test.ts), so a
 * change that would break a running job fails CI.
 *
 *   HISTORY_LABEL=v2-abc1234 npm run record-histories
 *
 * Record anew for each workflow version (never re-record an old label: it is what running jobs
 * of that release have in their histories).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { startScriptedApi } from '../../src/rehearsal/scriptedApi.js';
import {
  EMITTER,
  makeDocs,
  ROOT,
  useHarness,
  waitFor,
  waitForStatus,
  writeSpec,
  type StatusJson,
} from '../support/harness.js';

const label = process.env.HISTORY_LABEL;
if (!label) throw new Error('set HISTORY_LABEL, e.g. HISTORY_LABEL=v2-$(git rev-parse --short HEAD)');
const OUT = path.join(ROOT, 'test', 'fixtures', 'histories', label);

const TEMPORAL_CLI = process.env.TEMPORAL_CLI_PATH ?? 'temporal';
const h = useHarness({ worker: true });
const ended = (s: StatusJson): boolean => ['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'].includes(s.status);
const echo = (text: string) => ({ type: 'command', command: ['sh', '-c', `echo "${text}"`] });

/** Every run of the workflow (continued-as-new and retried ones too), each to its own file. */
async function save(scenario: string, workflowId: string): Promise<void> {
  const client = await h.client();
  const runs: { runId: string; start: number }[] = [];
  for await (const e of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    runs.push({ runId: e.runId, start: e.startTime.getTime() });
  }
  runs.sort((a, b) => a.start - b.start);
  expect(runs.length).toBeGreaterThan(0);
  for (const [i, { runId }] of runs.entries()) {
    // The Temporal CLI's JSON, the format every Temporal tool reads (historyFromJSON).
    const { stdout } = await execa(TEMPORAL_CLI, [
      'workflow',
      'show',
      '--address',
      h.stack.temporalAddress,
      '--workflow-id',
      workflowId,
      '--run-id',
      runId,
      '--output',
      'json',
    ]);
    const file = path.join(OUT, `${scenario}.${i + 1}.json`);
    await writeFile(file, `{"workflowId": ${JSON.stringify(workflowId)}, "history": ${stdout.trim()}}\n`);
  }
}

async function create(dir: string, spec: Record<string, unknown>): Promise<string> {
  const file = await writeSpec(dir, spec);
  return (await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir })).jobId;
}

const until = (jobId: string, predicate: (s: StatusJson) => boolean, ms = 240_000) =>
  waitForStatus(h, jobId, predicate, ms);

describe(`record workflow histories as ${label}`, () => {
  it('prepares the folder', async () => {
    await rm(OUT, { recursive: true, force: true });
    await mkdir(OUT, { recursive: true });
  });

  it('files, one activity per unit, test unit approved', async () => {
    const dir = await makeDocs(4);
    const jobId = await create(dir, {
      name: 'files-single',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Summarize {{relative_path}}',
      groupShortUnits: false,
      agent: echo('done'),
    });
    await until(jobId, (s) => s.status === 'READY');
    await h.cliJson(['approve', jobId]);
    expect((await until(jobId, ended)).status).toBe('COMPLETED');
    await save('files-single-approved', jobId);
  });

  it('records in groups of short units', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'record-'));
    const rows = Array.from({ length: 80 }, (_, i) => `k${i + 1},v${i + 1}`);
    await writeFile(path.join(dir, 'rows.csv'), ['key,value', ...rows].join('\n'));
    const jobId = await create(dir, {
      name: 'records-groups',
      source: { type: 'csv', path: 'rows.csv', key: 'key' },
      prompt: 'Use {{value}}',
      testUnits: 0,
      concurrency: 2,
      agent: { type: 'command', command: ['sh', '-c', 'sleep 0.05; echo "$1"', 'agent', '{{value}}'] },
    });
    expect((await until(jobId, ended)).status).toBe('COMPLETED');
    await save('records-groups', jobId);
  });

  it('test, reject with a revised prompt, test again, approve', async () => {
    const dir = await makeDocs(3);
    const jobId = await create(dir, {
      name: 'reject',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'First {{relative_path}}',
      agent: echo('done'),
    });
    await until(jobId, (s) => s.status === 'READY');
    await h.cliJson(['reject', jobId, '--feedback', 'too short', '--prompt', 'Second {{relative_path}}']);
    await until(jobId, (s) => s.status === 'READY' && s.templateVersion === 2);
    await h.cliJson(['approve', jobId]);
    expect((await until(jobId, ended)).status).toBe('COMPLETED');
    await save('test-reject-approve', jobId);
  });

  it('paused and resumed', async () => {
    const dir = await makeDocs(12);
    const jobId = await create(dir, {
      name: 'pause',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Summarize {{relative_path}}',
      testUnits: 0,
      concurrency: 2,
      groupShortUnits: false,
      agent: { type: 'command', command: ['sh', '-c', 'sleep 1; echo done'] },
    });
    await until(jobId, (s) => s.counts.succeeded >= 2);
    await h.cliJson(['pause', jobId]);
    await until(jobId, (s) => s.status === 'PAUSED' && s.counts.running === 0);
    await h.cliJson(['resume', jobId]);
    expect((await until(jobId, ended)).status).toBe('COMPLETED');
    await save('pause-resume', jobId);
  });

  it('groups paused (units handed back unstarted) and resumed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'record-'));
    const rows = Array.from({ length: 120 }, (_, i) => `k${i + 1},v${i + 1}`);
    await writeFile(path.join(dir, 'rows.csv'), ['key,value', ...rows].join('\n'));
    const jobId = await create(dir, {
      name: 'groups-pause',
      source: { type: 'csv', path: 'rows.csv', key: 'key' },
      prompt: 'Use {{value}}',
      testUnits: 0,
      concurrency: 2,
      agent: { type: 'command', command: ['sh', '-c', 'sleep 0.1; echo "$1"', 'agent', '{{value}}'] },
    });
    await until(jobId, (s) => s.counts.succeeded >= 20);
    await h.cliJson(['pause', jobId]);
    await until(jobId, (s) => s.status === 'PAUSED' && s.counts.running === 0);
    await h.cliJson(['resume', jobId]);
    expect((await until(jobId, ended)).status).toBe('COMPLETED');
    await save('groups-pause-resume', jobId);
  });

  it('paused by its budget, resumed with a higher one', async () => {
    const dir = await makeDocs(8);
    const jobId = await create(dir, {
      name: 'budget',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Summarize {{relative_path}}',
      testUnits: 0,
      concurrency: 1,
      budgetUsd: 0.025,
      agent: { bin: EMITTER, env: { EMITTER_COST_USD: '0.01' } },
    });
    await until(jobId, (s) => s.status === 'PAUSED');
    await h.cliJson(['resume', jobId, '--budget-usd', '1']);
    expect((await until(jobId, ended)).status).toBe('COMPLETED');
    await save('budget-pause', jobId);
  });

  it('throttled by the API, and paused by a spent usage window', async () => {
    const limited = await startScriptedApi({ rateLimitPerSecond: 1 });
    const spent = await startScriptedApi({ usageLimit: { requests: 3, resetSeconds: 5 } });
    try {
      const dir = await makeDocs(6);
      const throttled = await create(dir, {
        name: 'throttled',
        source: { type: 'files', glob: 'docs/*.md' },
        prompt: 'Summarize {{relative_path}}.',
        testUnits: 0,
        concurrency: 4,
        retries: 0,
        agent: { env: { ANTHROPIC_BASE_URL: limited.url, ANTHROPIC_API_KEY: 'sk-test-not-a-real-key' } },
      });
      const usage = await create(dir, {
        name: 'usage-limited',
        source: { type: 'files', glob: 'docs/*.md' },
        prompt: 'Summarize {{relative_path}}.',
        testUnits: 0,
        concurrency: 2,
        retries: 0,
        agent: {
          env: {
            ANTHROPIC_BASE_URL: spent.url,
            CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-test-not-a-real-token',
            ANTHROPIC_API_KEY: '',
          },
        },
      });
      expect((await until(throttled, ended)).status).toBe('COMPLETED');
      expect((await until(usage, ended)).status).toBe('COMPLETED');
      expect(limited.stats().rateLimited).toBeGreaterThan(0);
      await save('governor-throttled', throttled);
      await save('usage-limit-pause', usage);
    } finally {
      await limited.close();
      await spent.close();
    }
  });

  it('expired', async () => {
    const dir = await makeDocs(6);
    const jobId = await create(dir, {
      name: 'expiry',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Summarize {{relative_path}}',
      testUnits: 0,
      concurrency: 2,
      expiresAfter: '4s',
      agent: { type: 'command', command: ['sh', '-c', 'sleep 3; echo done'] },
    });
    expect((await until(jobId, ended)).status).toBe('EXPIRED');
    await save('expired', jobId);
  });

  it('cancelled while running, then its cancelled units retried', async () => {
    // Enough units that some are still pending when the cancel lands on a busy machine.
    const dir = await makeDocs(20);
    const jobId = await create(dir, {
      name: 'cancel',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Summarize {{relative_path}}',
      testUnits: 0,
      concurrency: 2,
      agent: { type: 'command', command: ['sh', '-c', 'sleep 1; echo done'] },
    });
    await until(jobId, (s) => s.counts.succeeded >= 2);
    await h.cliJson(['cancel', jobId]);
    await h.cliJson(['retry', jobId, '--status', 'cancelled']);
    expect((await until(jobId, ended)).status).toBe('COMPLETED');
    await save('cancelled-then-retried', jobId);
  });

  it('failures: retried attempts, a unit that never succeeds, then retry of the failed ones', async () => {
    const dir = await makeDocs(4);
    const marks = await mkdtemp(path.join(os.tmpdir(), 'record-marks-'));
    // doc01 fails twice then succeeds; doc02 fails for good in the first run, succeeds in the retry.
    const script = [
      'f="$2/$(basename "$1")"; n=$(cat "$f" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$f"',
      'case "$1" in docs/doc01.md) [ $n -ge 3 ] || exit 1;; docs/doc02.md) [ -e "$2/retry" ] || exit 3;; esac',
      'echo ok',
    ].join('\n');
    const jobId = await create(dir, {
      name: 'failures',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Summarize {{relative_path}}',
      testUnits: 0,
      concurrency: 2,
      retries: 2,
      groupShortUnits: false,
      agent: {
        type: 'command',
        command: ['sh', '-c', script, 'agent', '{{relative_path}}', marks],
        retryDelaySeconds: 1,
      },
    });
    expect((await until(jobId, ended)).status).toBe('FAILED');
    await writeFile(path.join(marks, 'retry'), '');
    await h.cliJson(['retry', jobId]);
    expect((await until(jobId, ended)).status).toBe('COMPLETED');
    await save('failures-then-retry', jobId);
  });

  it('the breaker: paused by units failing one way, tripped again, resumed ignoring it', async () => {
    const dir = await makeDocs(40);
    // doc01…doc03 succeed, every later one exits 3.
    const script = 'case "$1" in docs/doc0[1-3].md) echo ok;; *) echo "no such table" >&2; exit 3;; esac';
    const jobId = await create(dir, {
      name: 'breaker',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Summarize {{relative_path}}',
      testUnits: 0,
      concurrency: 2,
      retries: 0,
      groupShortUnits: false,
      breaker: { window: 5, share: 0.8 },
      agent: { type: 'command', command: ['sh', '-c', script, 'agent', '{{relative_path}}'] },
    });
    const paused = await until(jobId, (s) => s.status === 'PAUSED');
    expect(paused.message).toMatch(/^4 of the last 5 units failed with AgentFailed/);
    await until(jobId, (s) => s.counts.running === 0);
    await h.cliJson(['resume', jobId]);
    await until(jobId, (s) => s.status === 'PAUSED' && s.counts.failed >= paused.counts.failed + 4);
    await until(jobId, (s) => s.counts.running === 0);
    await h.cliJson(['resume', jobId, '--ignore-breaker']);
    expect((await until(jobId, ended)).status).toBe('FAILED');
    await save('breaker', jobId);
  });

  it('continued as new several times', async () => {
    const dir = await makeDocs(90);
    const jobId = await create(dir, {
      name: 'long',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Summarize {{relative_path}}',
      testUnits: 0,
      concurrency: 4,
      groupShortUnits: false,
      agent: echo('done'),
    });
    expect((await until(jobId, ended)).status).toBe('COMPLETED');
    await save('continue-as-new', jobId);
  });

  it('with a webhook, an aggregate step and a check with a repair', async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      req.on('data', (c: Buffer) => received.push(c.toString()));
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const dir = await makeDocs(3);
      const marks = await mkdtemp(path.join(os.tmpdir(), 'record-verify-'));
      const jobId = await create(dir, {
        name: 'extras',
        source: { type: 'files', glob: 'docs/*.md' },
        prompt: 'Summarize {{relative_path}}',
        webhook: { url: `http://127.0.0.1:${port}/hook` },
        verify: {
          command: ['sh', '-c', `[ -e "${marks}/$1" ] || { touch "${marks}/$1"; exit 1; }`, 'check', '{{file_name}}'],
        },
        aggregate: { prompt: 'all of them', agent: echo('report') },
        agent: echo('done'),
      });
      await until(jobId, (s) => s.status === 'READY');
      await h.cliJson(['approve', jobId]);
      expect((await until(jobId, ended)).status).toBe('COMPLETED');
      await waitFor(() => received.length >= 2, 30_000, 'webhooks');
      await save('webhook-aggregate-verify', jobId);
    } finally {
      server.close();
    }
  });

  it('a pipeline of two stages', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'record-pipeline-'));
    await writeFile(path.join(dir, 'topics.jsonl'), ['a', 'b'].map((id) => JSON.stringify({ id })).join('\n'));
    await writeFile(
      path.join(dir, 'pipeline.yaml'),
      `name: recorded
stages:
  - name: first
    source: { type: jsonl, path: topics.jsonl, key: id }
    prompt: "One {{id}}"
    agent: { type: command, command: [sh, -c, 'echo "one $1"', sh, "{{id}}"] }
    testUnits: 0
  - name: second
    needs: [first]
    source: { type: stage, from: first }
    prompt: "Two {{result}}"
    agent: { type: command, command: [sh, -c, 'echo two'] }
    testUnits: 0
`,
    );
    const r = await h.cli(['run', 'pipeline.yaml', '--yes', '--json'], { cwd: dir });
    expect(r.exitCode).toBe(0);
    const pipeline = JSON.parse(r.stdout) as { pipelineId: string; stages: { name: string; jobId: string }[] };
    await save('pipeline', pipeline.pipelineId);
    for (const stage of pipeline.stages) await save(`pipeline-stage-${stage.name}`, stage.jobId);
  });
});
