/**
 * The MCP server, driven by the SDK's own client over stdio (`agentic-batch mcp`), on real
 * parts: a whole job from create to results (the real claude against the scripted API), paging,
 * a conversation, the job resource, and illegal moves coming back as tool errors.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, useHarness, waitFor } from '../support/harness.js';

const h = useHarness({ worker: true });
let client: Client;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-mcp-'));
  await writeFile(path.join(dir, 'tasks.jsonl'), ['a', 'b', 'c'].map((id) => JSON.stringify({ id })).join('\n'));
  client = new Client({ name: 'mcp-test', version: '1.0.0' });
  const env = { ...(process.env as Record<string, string>), ...h.env() };
  await client.connect(new StdioClientTransport({ command: 'node', args: [CLI, 'mcp'], env, stderr: 'ignore' }));
});

afterAll(async () => {
  await client.close();
});

interface ToolAnswer {
  isError?: boolean;
  content: { type: string; text: string }[];
}

async function call<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T> {
  const answer = (await client.callTool({ name, arguments: args })) as ToolAnswer;
  if (answer.isError) throw new Error(answer.content[0]!.text);
  return JSON.parse(answer.content[0]!.text) as T;
}

async function callError(name: string, args: Record<string, unknown>): Promise<string> {
  const answer = (await client.callTool({ name, arguments: args })) as ToolAnswer;
  expect(answer.isError).toBe(true);
  return answer.content[0]!.text;
}

async function until(jobId: string, status: string): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  await waitFor(
    async () => {
      last = await call('get_job', { jobId });
      return last.status === status;
    },
    90_000,
    `${jobId} ${status}`,
  );
  return last;
}

describe('the MCP server', () => {
  it('offers every tool', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'approve_job',
        'cancel_job',
        'create_job',
        'dashboard_url',
        'get_events',
        'get_job',
        'get_results',
        'get_unit',
        'list_jobs',
        'list_units',
        'pause_job',
        'reject_job',
        'resume_job',
        'retry_job',
      ].sort(),
    );
  });

  it('drives a whole job: create, READY with its test result, approve, COMPLETED, results', async () => {
    const created = await call<{ jobId: string; totalUnits: number; waitsForApproval: boolean }>('create_job', {
      jsonl: 'tasks.jsonl',
      key: 'id',
      prompt: 'Describe task {{id}}',
      agent: { rehearse: true },
      name: 'mcp-job',
      cwd: dir,
    });
    expect(created).toMatchObject({ totalUnits: 3, waitsForApproval: true });
    const { jobId } = created;

    const ready = await until(jobId, 'READY');
    expect(ready.testResults).toEqual([
      expect.objectContaining({ key: 'a', status: 'succeeded', result: expect.stringMatching(/^Scripted answer/) }),
    ]);
    expect(ready.forecastUsd).toEqual(expect.any(Number));
    expect(await call('approve_job', { jobId })).toMatchObject({ status: 'RUNNING' });
    await until(jobId, 'COMPLETED');

    const first = await call<{ units: { key: string; status: string }[]; nextCursor: string }>('get_results', {
      jobId,
      limit: 2,
    });
    expect(first.units.map((u) => [u.key, u.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
    ]);
    const second = await call<{ units: { key: string }[]; nextCursor: string | null }>('get_results', {
      jobId,
      limit: 2,
      cursor: first.nextCursor,
    });
    expect(second).toEqual({ units: [expect.objectContaining({ key: 'c' })], nextCursor: null });
    const units = await call<{ units: { key: string }[] }>('list_units', { jobId, status: 'succeeded', q: 'b' });
    expect(units.units.map((u) => u.key)).toEqual(['b']);

    const unit = await call<{ attempts: { outcome: string; conversation: { kind: string }[] }[] }>('get_unit', {
      jobId,
      unit: 'b',
    });
    expect(unit.attempts[0]!.outcome).toBe('succeeded');
    expect(unit.attempts[0]!.conversation.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['system', 'assistant', 'result']),
    );

    const resource = await client.readResource({ uri: `agentic-batch://jobs/${jobId}` });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({
      jobId,
      status: 'COMPLETED',
      counts: { total: 3, succeeded: 3 },
    });
    const jobs = await call<{ jobId: string; state: string }[]>('list_jobs', { limit: 5 });
    expect(jobs).toContainEqual(expect.objectContaining({ jobId, state: 'COMPLETED' }));
  });

  it('answers an illegal move, bad input and an unknown job with the CLI’s wording, as tool errors', async () => {
    const { jobId } = await call<{ jobId: string }>('create_job', {
      jsonl: 'tasks.jsonl',
      key: 'id',
      prompt: 'x',
      agent: { type: 'command', command: ['sleep', '60'] },
      testUnits: 0,
      cwd: dir,
    });
    await until(jobId, 'RUNNING');
    expect(await callError('approve_job', { jobId })).toMatch(
      new RegExp(`^error: ${jobId}: cannot approve a job that is RUNNING`),
    );
    expect(await call('cancel_job', { jobId })).toMatchObject({ cancelling: true });
    await until(jobId, 'CANCELLED');

    // This harness's servers come from the environment, not a stack serving the dashboard.
    expect(await callError('dashboard_url', {})).toMatch(/^error: the dashboard is not running\nhint: start the stack/);
    expect(await callError('dashboard_url', { jobId: 'job-nope' })).toBe(
      'error: no job job-nope\nhint: list jobs with `agentic-batch list`',
    );
    expect(await callError('get_job', { jobId: 'job-nope' })).toBe(
      'error: no job job-nope\nhint: list jobs with `agentic-batch list`',
    );
    expect(await callError('create_job', { jsonl: 'tasks.jsonl', prompt: 'Do {{nope}}', cwd: dir })).toMatch(
      /^error: the record at line 1 of .*tasks\.jsonl \(key "1"\) has no field "nope"/,
    );
    expect(await callError('create_job', { files: '*.md', csv: 'x.csv', prompt: 'x' })).toMatch(
      /^error: two sources: files and csv/,
    );
  });

  it('pages through a long conversation: get_unit shows its end, get_events the rest in order', async () => {
    const { jobId } = await call<{ jobId: string }>('create_job', {
      jsonl: 'tasks.jsonl',
      key: 'id',
      prompt: 'Talk {{id}}',
      name: 'long-talk',
      testUnits: 0,
      agent: { type: 'command', command: ['sh', '-c', 'seq 1 1200'] },
      cwd: dir,
    });
    await until(jobId, 'COMPLETED');
    const unit = await call<{
      attempts: {
        attemptId: number;
        eventCount: number;
        earlierEventsLeftOut: number;
        conversation: { text: string }[];
      }[];
    }>('get_unit', { jobId, unit: 'a' });
    const [attempt] = unit.attempts;
    expect(attempt).toMatchObject({ eventCount: 1200, earlierEventsLeftOut: 1160 });
    expect(attempt!.conversation.at(-1)!.text).toBe('1200');
    const first = await call<{ conversation: { text: string }[]; nextEventSeq: number }>('get_events', {
      jobId,
      attemptId: attempt!.attemptId,
      limit: 500,
    });
    expect(first.conversation.map((e) => e.text).slice(0, 3)).toEqual(['1', '2', '3']);
    expect(first.nextEventSeq).toBe(500);
    const last = await call<{ conversation: { text: string }[]; nextEventSeq: number | null }>('get_events', {
      jobId,
      attemptId: attempt!.attemptId,
      afterSeq: 1000,
      limit: 500,
    });
    expect(last.conversation).toHaveLength(200);
    expect(last.nextEventSeq).toBeNull();
    expect(await callError('get_events', { jobId, attemptId: 999_999_999 })).toMatch(/has no attempt 999999999/);
  });
});
