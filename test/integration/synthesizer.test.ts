/**
 * The prompt synthesizer on real parts: the real claude, against the scripted API (whose model
 * answers a synthesis request with a deterministic template), writes a job's prompt from
 * `--intent`, and revises it from a rejection's feedback alone; the job re-tests with it.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { useHarness, waitForStatus } from '../support/harness.js';

const h = useHarness({ worker: true });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-intent-'));
  await writeFile(
    path.join(dir, 'titles.jsonl'),
    [
      { id: 'p1', title: 'Rote Schuhe' },
      { id: 'p2', title: 'Blaue Jacke' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
});

const WRITTEN = 'Translate each title to English\n\nWork on {{_key}}:\n- id: {{id}}\n- title: {{title}}';
const intentFlags = [
  '--jsonl',
  'titles.jsonl',
  '--key',
  'id',
  '--intent',
  'Translate each title to English',
  '--rehearse',
];

async function testPrompts(jobId: string): Promise<string[]> {
  const rows = await h.query<{ prompt: string }>('SELECT prompt FROM attempts WHERE job_id = $1 ORDER BY id', [jobId]);
  return rows.map((r) => r.prompt);
}

describe('the prompt synthesizer', () => {
  it('writes the prompt from the intent, the fields and sample records, and the job runs it', async () => {
    const r = await h.cli(['run', ...intentFlags, '--yes', '--json'], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`the agent wrote this prompt:\n${'─'.repeat(60)}\n${WRITTEN}\n`);
    const { jobId } = JSON.parse(r.stdout) as { jobId: string };
    expect(await testPrompts(jobId)).toEqual([
      'Translate each title to English\n\nWork on p1:\n- id: p1\n- title: Rote Schuhe',
      'Translate each title to English\n\nWork on p2:\n- id: p2\n- title: Blaue Jacke',
    ]);
    const [job] = await h.query<{ spec: { intent: string; prompt: string } }>('SELECT spec FROM jobs WHERE id = $1', [
      jobId,
    ]);
    expect(job!.spec).toMatchObject({ intent: 'Translate each title to English', prompt: WRITTEN });
  });

  it('revises the prompt from the feedback alone, and re-tests with it', async () => {
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', ...intentFlags], { cwd: dir });
    await waitForStatus(h, jobId, (s) => s.status === 'READY');
    const r = await h.cli(['reject', jobId, '--feedback', 'Keep the brand names untranslated']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(
      `the agent revised the prompt from your feedback:\n${WRITTEN}\n\nKeep in mind: Keep the brand names untranslated`,
    );
    const ready = await waitForStatus(h, jobId, (s) => s.status === 'READY' && s.templateVersion === 2);
    expect(ready.templateVersion).toBe(2);
    expect((await testPrompts(jobId)).at(-1)).toBe(
      'Translate each title to English\n\nWork on p1:\n- id: p1\n- title: Rote Schuhe\n\nKeep in mind: Keep the brand names untranslated',
    );
  });

  it('refuses --intent with --prompt', async () => {
    const r = await h.cli(['run', ...intentFlags, '--prompt', 'x'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: --intent and --prompt together: give one');
  });
});
