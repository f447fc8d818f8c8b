/**
 * Pipelines on real parts (Temporal, Postgres, the command agent): a fan-out stage with
 * structured output and its own approval gate, a stage built from its results (`{{output.summary}}`)
 * with an aggregate step, a third stage after it, and a failing stage whose dependent is SKIPPED.
 * Then a pipeline paused, resumed and cancelled as a whole.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseJsonl, useHarness, waitFor } from '../support/harness.js';

const h = useHarness({ worker: true });
let dir: string;

interface Stage {
  name: string;
  state: string;
  jobId: string | null;
  message: string | null;
  needs: string[];
}
interface Pipeline {
  pipelineId: string;
  state: string;
  message: string | null;
  stages: Stage[];
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-pipeline-'));
  await writeFile(path.join(dir, 'topics.jsonl'), ['a', 'b', 'c'].map((id) => JSON.stringify({ id })).join('\n'));
  await writeFile(
    path.join(dir, 'pipeline.yaml'),
    `name: docs
stages:
  - name: summarize
    source: { type: jsonl, path: topics.jsonl, key: id }
    prompt: "Summarize {{id}}"
    agent: { type: command, command: [sh, -c, 'echo "{\\"summary\\": \\"about $1\\"}"', sh, "{{id}}"] }
    output: { schema: { type: object, properties: { summary: { type: string } }, required: [summary] } }
    testUnits: 1
  - name: review
    needs: [summarize]
    source: { type: stage, from: summarize }
    prompt: "Review {{output.summary}} ({{upstream_status}})"
    agent: { type: command, command: [sh, -c, 'echo "reviewed $1"', sh, "{{output.summary}}"] }
    testUnits: 0
    aggregate:
      prompt: all reviews
      agent: { type: command, command: [sh, -c, 'echo "{{succeeded}} of {{total}} reviewed"; cat "{{results_file}}"'] }
  - name: publish
    needs: [review]
    source: { type: stage, from: review }
    prompt: "Publish {{result}}"
    agent: { type: command, command: [sh, -c, 'echo "published $1"', sh, "{{_key}}"] }
    testUnits: 0
  - name: broken
    needs: [summarize]
    source: { type: stage, from: summarize }
    prompt: "Break {{_key}}"
    agent: { type: command, command: [sh, -c, 'exit 3'] }
    retries: 0
    testUnits: 0
  - name: after-broken
    needs: [broken]
    source: { type: stage, from: broken, status: failed }
    prompt: "Never {{_key}}"
    agent: { type: command, command: ["true"] }
    testUnits: 0
`,
  );
});

describe('pipelines', () => {
  let pipeline: Pipeline;
  const stage = (name: string) => pipeline.stages.find((s) => s.name === name)!;

  it('runs each stage once its needs ended, from its upstream results, and skips after a failure', async () => {
    const r = await h.cli(['run', 'pipeline.yaml', '--yes', '--json'], { cwd: dir });
    expect(r.exitCode).toBe(1);
    pipeline = JSON.parse(r.stdout) as Pipeline;
    expect(pipeline.state).toBe('FAILED');
    expect(Object.fromEntries(pipeline.stages.map((s) => [s.name, s.state]))).toEqual({
      summarize: 'COMPLETED',
      review: 'COMPLETED',
      publish: 'COMPLETED',
      broken: 'FAILED',
      'after-broken': 'SKIPPED',
    });
    expect(stage('after-broken')).toMatchObject({ jobId: null, message: 'skipped: stage broken ended FAILED' });
    expect(pipeline.message).toBe('broken FAILED, after-broken SKIPPED');
    // review and broken need only summarize: broken was made while review was still running.
    const [reviewJob, brokenJob] = await h.query<{ created: Date; ended: Date }>(
      'SELECT created_at AS created, updated_at AS ended FROM jobs WHERE id = ANY($1) ORDER BY stage DESC',
      [[stage('review').jobId, stage('broken').jobId]],
    );
    expect(brokenJob!.created.getTime()).toBeLessThan(reviewJob!.ended.getTime());
    // The gate of the first stage was passed (--yes, its test unit succeeded).
    expect(r.stderr).toContain('stage summarize: READY');

    // The review stage's units are the summaries, keyed as upstream, with their output.
    const review = parseJsonl<{ key: string; result: string }>(
      (await h.cli(['results', pipeline.pipelineId, '--stage', 'review'])).stdout,
    );
    expect(review.map((u) => [u.key, u.result])).toEqual([
      ['a', 'reviewed about a'],
      ['b', 'reviewed about b'],
      ['c', 'reviewed about c'],
    ]);
    const shown = JSON.parse((await h.cli(['show', pipeline.pipelineId, 'b', '--stage', 'review', '--json'])).stdout);
    expect(shown.attempts[0].attempt.prompt).toBe('Review about b (succeeded)');
    const publish = parseJsonl<{ result: string }>((await h.cli(['results', stage('publish').jobId!])).stdout);
    expect(publish.map((u) => u.result)).toEqual(['published a', 'published b', 'published c']);

    // The review stage's aggregate report.
    const report = await h.cli(['report', stage('review').jobId!]);
    expect(report.stdout.split('\n')[0]).toBe('3 of 3 reviewed');

    // status draws the graph; the Web UI shows the stages as the pipeline's children.
    const status = await h.cli(['status', pipeline.pipelineId]);
    expect(status.stdout).toMatch(new RegExp(`^${pipeline.pipelineId} \\(docs\\): FAILED`));
    expect(status.stdout).toMatch(/└▶ review\s+COMPLETED\s+3\/3 succeeded\s+\$\S+\s+← summarize/);
    expect(status.stdout).toMatch(/└▶ after-broken\s+SKIPPED\s+skipped: stage broken ended FAILED\s+← broken/);
    const client = await h.client();
    const child = await client.workflow.getHandle(stage('review').jobId!).describe();
    expect(child.parentExecution?.workflowId).toBe(pipeline.pipelineId);
  });

  it('says which stage when asked for one it does not have, or for none', async () => {
    const none = await h.cli(['results', pipeline.pipelineId]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain(`error: ${pipeline.pipelineId} is a pipeline: say which stage with --stage`);
    const skipped = await h.cli(['approve', pipeline.pipelineId, '--stage', 'after-broken']);
    expect(skipped.exitCode).toBe(1);
    expect(skipped.stderr).toContain('stage after-broken of');
    expect(skipped.stderr).toContain('is SKIPPED (skipped: stage broken ended FAILED): it has no job yet');
  });

  it('pauses, resumes and cancels the whole pipeline', async () => {
    await writeFile(
      path.join(dir, 'slow.yaml'),
      `name: slow
stages:
  - name: first
    source: { type: jsonl, path: topics.jsonl, key: id }
    prompt: "x"
    agent: { type: command, command: [sh, -c, 'sleep 3; echo ok'] }
    concurrency: 1
    testUnits: 0
  - name: second
    needs: [first]
    source: { type: stage, from: first }
    prompt: "y"
    agent: { type: command, command: [sh, -c, 'sleep 30'] }
    testUnits: 0
`,
    );
    const { pipelineId: id } = await h.cliJson<{ pipelineId: string }>(['create', 'slow.yaml'], { cwd: dir });
    const state = async () => JSON.parse((await h.cli(['status', id, '--json'])).stdout) as Pipeline;
    await waitFor(async () => (await state()).stages[0]!.state === 'RUNNING', 30_000, 'the first stage');
    const paused = JSON.parse((await h.cli(['pause', id, '--json'])).stdout) as Pipeline;
    expect(paused.state).toBe('PAUSED');
    expect(paused.stages[0]!.state).toBe('PAUSED');
    const resumed = JSON.parse((await h.cli(['resume', id, '--json'])).stdout) as Pipeline;
    expect(resumed.state).toBe('RUNNING');
    expect(resumed.stages[0]!.state).toBe('RUNNING');
    await waitFor(async () => (await state()).stages[1]!.state === 'RUNNING', 60_000, 'the second stage');
    const cancelled = JSON.parse((await h.cli(['cancel', id, '--json'])).stdout) as Pipeline;
    expect(cancelled.state).toBe('CANCELLED');
    expect(cancelled.stages.map((s) => s.state)).toEqual(['COMPLETED', 'CANCELLED']);
  });
});
