/**
 * Structured output on real parts: the real claude against the scripted Messages API with
 * --json-schema (a fitting object kept; one that never fits retried, then failed OutputInvalid),
 * and the command agent, whose stdout is read as JSON; results carry `output` in JSONL and one
 * column per top-level field in CSV.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { useHarness, type StatusJson } from '../support/harness.js';

const h = useHarness({ worker: true });
let dir: string;

const SCHEMA = {
  type: 'object',
  properties: { sentiment: { type: 'string', enum: ['good', 'bad'] }, score: { type: 'number' } },
  required: ['sentiment', 'score'],
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-output-'));
  const reviews = [
    { id: 'r1', text: 'a great product' },
    { id: 'r2', text: 'a fine product' },
    // The scripted model answers this one with an object the schema refuses, every time.
    { id: 'r3', text: 'meh [[output:{"sentiment":"meh"}]]' },
  ];
  await writeFile(path.join(dir, 'reviews.jsonl'), reviews.map((r) => JSON.stringify(r)).join('\n'));
  await writeFile(path.join(dir, 'rating.json'), JSON.stringify(SCHEMA));
});

async function run(spec: string): Promise<StatusJson> {
  await writeFile(path.join(dir, 'job.yaml'), spec);
  return h.runJob(['job.yaml'], { cwd: dir });
}

interface Result {
  key: string;
  status: string;
  output?: unknown;
  error: string | null;
  attempts: number;
}

describe('structured output', () => {
  it('keeps what claude gives for --json-schema; an output that never fits is retried, then fails OutputInvalid', async () => {
    const status = await run(`name: rated
source: { type: jsonl, path: reviews.jsonl, key: id }
prompt: "Rate this review: {{text}}"
output: { schemaFile: rating.json }
agent: { rehearse: true, retryDelaySeconds: 1 }
retries: 1
testUnits: 0
`);
    expect(status).toMatchObject({ status: 'FAILED', counts: { total: 3, succeeded: 2, failed: 1 } });

    const byKey = await h.resultsByKey<Result>(status.jobId);
    expect(byKey.r1).toMatchObject({ status: 'succeeded', output: { sentiment: 'good', score: 1 } });
    expect(byKey.r2).toMatchObject({ status: 'succeeded', output: { sentiment: 'good', score: 1 } });
    expect(byKey.r3).toMatchObject({ status: 'failed', output: null, attempts: 2 });
    expect(byKey.r3!.error).toBe('OutputInvalid: the agent gave no structured output (failed 2 of 2 attempts)');

    const csv = (await h.cli(['results', status.jobId, '--format', 'csv'])).stdout.trim().split('\n');
    expect(csv[0]).toBe(
      'unitId,key,status,result,error,costUsd,sessionId,attempts,durationMs,output.score,output.sentiment',
    );
    expect(csv.find((line) => line.includes(',r1,'))).toMatch(/,1,good$/);

    // Each attempt is on record with its error type; the stored output is jsonb.
    const attempts = await h.query<{ key: string; error_type: string | null; sentiment: string | null }>(
      `SELECT u.key, a.error_type, a.output->>'sentiment' AS sentiment FROM attempts a
       JOIN units u ON u.job_id = a.job_id AND u.unit_id = a.unit_id WHERE a.job_id = $1 ORDER BY u.key, a.id`,
      [status.jobId],
    );
    expect(attempts).toEqual([
      { key: 'r1', error_type: null, sentiment: 'good' },
      { key: 'r2', error_type: null, sentiment: 'good' },
      { key: 'r3', error_type: 'OutputInvalid', sentiment: null },
      { key: 'r3', error_type: 'OutputInvalid', sentiment: null },
    ]);
    const shown = await h.cli(['show', status.jobId, 'r1']);
    expect(shown.stdout).toMatch(/▶ structured output\n[\s\S]*"sentiment": "good"/);
  });

  it("reads the command agent's stdout as the output, and says where one does not fit", async () => {
    const script = path.join(dir, 'rate.sh');
    await writeFile(
      script,
      `#!/bin/sh
case "$1" in
  r1) echo '{"sentiment":"good","score":5}' ;;
  r2) echo '{"sentiment":"bad","score":"low"}' ;;
  *) echo 'not json' ;;
esac
`,
    );
    await chmod(script, 0o755);
    const status = await run(`name: rated-by-script
source: { type: jsonl, path: reviews.jsonl, key: id }
prompt: "Rate {{text}}"
output:
  schema: ${JSON.stringify(SCHEMA)}
agent: { type: command, command: ["./rate.sh", "{{_key}}"] }
retries: 0
testUnits: 0
`);
    expect(status).toMatchObject({ status: 'FAILED', counts: { total: 3, succeeded: 1, failed: 2 } });
    const byKey = await h.resultsByKey<Result>(status.jobId);
    expect(byKey.r1).toMatchObject({ status: 'succeeded', output: { sentiment: 'good', score: 5 } });
    expect(byKey.r2!.error).toBe('OutputInvalid: the output does not fit the schema: /score must be number');
    expect(byKey.r3!.error).toMatch(/^OutputInvalid: the agent's result is not JSON \(/);
  });
});
