/**
 * The scripted Messages API against the real `claude` binary (offline), plus its HTTP edges.
 * Each CLI run gets a scratch HOME and cwd so nothing touches ~/.claude.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execa } from 'execa';
import { startScriptedApi, type ScriptedApi } from '../../src/rehearsal/scriptedApi.js';

const CLAUDE = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));

interface StreamLine {
  type: string;
  subtype?: string;
  is_error?: boolean;
  api_error_status?: number | null;
  terminal_reason?: string;
  result?: string;
  total_cost_usd?: number;
  structured_output?: unknown;
}

const scratch: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scripted-api-'));
  scratch.push(dir);
  return dir;
};

/** Runs claude the way the engine does: -p, stream-json, stdin closed, retries owned by the caller. */
async function runClaude(api: ScriptedApi, prompt: string, args: string[] = [], cwd?: string) {
  const proc = await execa(CLAUDE, ['-p', prompt, '--output-format', 'stream-json', '--verbose', ...args], {
    cwd: cwd ?? (await tempDir()),
    stdin: 'ignore',
    reject: false,
    env: {
      HOME: await tempDir(),
      ANTHROPIC_BASE_URL: api.url,
      ANTHROPIC_API_KEY: 'sk-rehearsal-not-a-real-key',
      CLAUDE_CODE_MAX_RETRIES: '0',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
    },
  });
  const lines = proc.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StreamLine);
  return { exitCode: proc.exitCode, lines, result: lines.find((l) => l.type === 'result') };
}

describe('scripted Messages API with the real claude CLI', () => {
  let api: ScriptedApi;
  beforeAll(async () => {
    api = await startScriptedApi();
  });
  afterAll(async () => {
    await api.close();
    await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('answers a plain prompt with a costed, successful result', async () => {
    const run = await runClaude(api, 'Say hello to the rehearsal');
    expect(run.exitCode).toBe(0);
    expect(run.lines[0]).toMatchObject({ type: 'system', subtype: 'init' });
    expect(run.result).toMatchObject({ subtype: 'success', is_error: false, terminal_reason: 'completed' });
    expect(run.result?.result).toMatch(/^Scripted answer: .*Say hello to the rehearsal/);
    expect(run.result?.total_cost_usd).toBeGreaterThan(0);
  });

  it('drives a Write tool call that really creates the file', async () => {
    const cwd = await tempDir();
    const prompt = 'Write a summary to the file out/summary.txt';
    const run = await runClaude(api, prompt, ['--permission-mode', 'acceptEdits', '--allowedTools', 'Write'], cwd);
    expect(run.exitCode).toBe(0);
    expect(run.result).toMatchObject({ is_error: false, result: `Scripted answer: wrote ${cwd}/out/summary.txt` });
    expect(await readFile(join(cwd, 'out/summary.txt'), 'utf8')).toBe(`Scripted output for: ${prompt}\n`);
  });

  it("gives the real CLI's --json-schema its structured output, and one it refuses when the prompt marks it", async () => {
    const schema = JSON.stringify({
      type: 'object',
      properties: { sentiment: { type: 'string', enum: ['good', 'bad'] }, score: { type: 'number' } },
      required: ['sentiment', 'score'],
    });
    const valid = await runClaude(api, 'Classify: a great product', ['--json-schema', schema]);
    expect(valid.result).toMatchObject({
      subtype: 'success',
      is_error: false,
      structured_output: { sentiment: 'good', score: 1 },
    });
    // The CLI checks the object against the schema, reminds the model, then gives up without one.
    const invalid = await runClaude(api, 'Classify: meh [[output:{"sentiment":"meh"}]]', ['--json-schema', schema]);
    expect(invalid.result).toMatchObject({ subtype: 'success', is_error: false });
    expect(invalid.result?.structured_output ?? null).toBeNull();
    const refusals = invalid.lines.filter((l) => JSON.stringify(l).includes('Output does not match required schema'));
    expect(refusals.length).toBeGreaterThan(0);
  });

  it('surfaces a 401 after exactly one attempt', async () => {
    const before = api.stats();
    const run = await runClaude(api, 'Say hi [[fault:401]]');
    expect(run.exitCode).toBe(1);
    expect(run.result).toMatchObject({
      subtype: 'success',
      is_error: true,
      api_error_status: 401,
      terminal_reason: 'api_error',
    });
    expect(api.stats()).toMatchObject({ requests: before.requests + 1, faultsServed: before.faultsServed + 1 });
  });

  it('surfaces a 529, and a counted 529 only once per prompt', async () => {
    const once = 'Say hi [[fault:529x1]]';
    const first = await runClaude(api, once);
    expect(first.result).toMatchObject({ is_error: true, api_error_status: 529, terminal_reason: 'api_error' });
    expect(first.lines.some((l) => l.subtype === 'api_retry')).toBe(false);
    const second = await runClaude(api, once);
    expect(second.result).toMatchObject({ is_error: false, api_error_status: null });
  });
});

describe('scripted Messages API over HTTP', () => {
  const post = (url: string, body: unknown) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers non-streaming requests, count_tokens, and unknown paths', async () => {
    const api = await startScriptedApi();
    try {
      const message = await post(`${api.url}/v1/messages`, {
        model: 'm-1',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(await message.json()).toMatchObject({ type: 'message', model: 'm-1', stop_reason: 'end_turn' });
      const count = await post(`${api.url}/v1/messages/count_tokens`, { messages: [{ role: 'user', content: 'hi' }] });
      expect(await count.json()).toEqual({ input_tokens: expect.any(Number) });
      const missing = await fetch(`${api.url}/v1/nothing`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
      const broken = await fetch(`${api.url}/v1/messages`, { method: 'POST', body: '{not json' });
      expect(broken.status).toBe(400);
    } finally {
      await api.close();
    }
  });

  it('applies the default fault with retry-after, holds hung requests until close()', async () => {
    const api = await startScriptedApi({ defaultFault: '429x1' });
    const request = { model: 'm', tools: [{ name: 'Write' }], messages: [{ role: 'user', content: 'hi' }] };
    const limited = await post(`${api.url}/v1/messages`, request);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect((await post(`${api.url}/v1/messages`, request)).status).toBe(200);

    const hung = post(`${api.url}/v1/messages`, {
      ...request,
      messages: [{ role: 'user', content: '[[fault:hang]]' }],
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await api.close();
    await expect(hung).rejects.toThrow();
    expect(api.stats()).toEqual({ requests: 3, modelRequests: 3, faultsServed: 2, rateLimited: 0 });
  });

  it('holds a global rate limit over all callers and both APIs, with retry-after', async () => {
    const api = await startScriptedApi({ rateLimitPerSecond: 2 });
    try {
      const messages = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
      const responses = { model: 'gpt-5', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] };
      const replies = await Promise.all([
        post(`${api.url}/v1/messages`, messages),
        post(`${api.url}/v1/messages`, messages),
        post(`${api.url}/v1/responses`, responses),
        post(`${api.url}/v1/messages`, messages),
      ]);
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 429, 429]);
      for (const refused of replies.filter((r) => r.status === 429)) {
        expect(refused.headers.get('retry-after')).toBe('1');
      }
      expect(api.stats()).toMatchObject({ requests: 4, modelRequests: 4, faultsServed: 0, rateLimited: 2 });
      // A second later the window has room again.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect((await post(`${api.url}/v1/messages`, messages)).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('refuses an unknown default fault', async () => {
    await expect(startScriptedApi({ defaultFault: 'teapot' })).rejects.toThrow('Unknown scripted fault');
  });
});
