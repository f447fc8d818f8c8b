/**
 * What an agent can read of the worker's environment, on real parts: a worker holding every kind
 * of the engine's secrets runs agents (and a unit's check) that print their environment. On
 * 2b7a411 every agent printed DATABASE_URL, the webhook's secret and any Temporal key.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeDocs, useHarness, writeSpec } from '../support/harness.js';

const h = useHarness();
const SECRETS = {
  TEMPORAL_API_KEY: 'tk-agent-env-test',
  // A key over plaintext: the dev server ignores it, the engine must still keep it from agents.
  TEMPORAL_TLS: 'false',
  TEMPORAL_TLS_CLIENT_KEY_DATA: 'PRIVATE-KEY-agent-env-test',
  AGENTIC_BATCH_EXAMPLE: 'engine-setting-agent-env-test',
  PGPASSWORD: 'pg-agent-env-test',
  SOURCE_DATABASE_URL: 'postgres://u:pw-agent-env-test@db/x',
  HOOK_SECRET: 'webhook-secret-agent-env-test',
  MY_SERVICE_TOKEN: 'service-token-agent-env-test',
};
const PASSES = { ANTHROPIC_API_KEY: 'sk-ant-agent-env-test', OPENAI_API_KEY: 'sk-openai-agent-env-test', PLAIN: 'x' };
let server: http.Server;
let hookUrl = '';

beforeAll(async () => {
  server = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  await h.startWorker({ ...SECRETS, ...PASSES });
});
afterAll(() => new Promise((r) => server.close(r)));

/** A unit's agent prints its environment (its result), and its check writes its own to a file. */
async function printedEnvironments(agent: Record<string, unknown>): Promise<{ agent: string; check: string }> {
  const dir = await makeDocs(1);
  const checkFile = path.join(dir, 'check.env');
  const spec = await writeSpec(dir, {
    name: 'prints-env',
    source: { type: 'files', glob: 'docs/*.md' },
    prompt: 'x',
    testUnits: 0,
    webhook: { url: hookUrl, secretEnv: 'HOOK_SECRET' },
    agent: { type: 'command', command: ['env'], ...agent },
    verify: { command: ['sh', '-c', `env > ${checkFile}`] },
  });
  const done = await h.runJob([spec], { cwd: dir });
  expect(done.status).toBe('COMPLETED');
  const [unit] = Object.values(await h.resultsByKey<{ key: string; result: string }>(done.jobId));
  return { agent: unit!.result, check: await readFile(checkFile, 'utf8') };
}

describe('an agent’s environment', () => {
  it('holds none of the engine’s secrets, nor its check’s; the agents’ own keys pass', async () => {
    const printed = await printedEnvironments({});
    const both = printed.agent + printed.check;
    expect(both).not.toMatch(/^DATABASE_URL=/m);
    expect(both).not.toContain(h.stack.databaseUrl);
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(both).not.toContain(`${name}=`);
      // Each value is marked, so it is found wherever it leaked (TEMPORAL_TLS's "false" is too common).
      if (value.includes('agent-env-test')) expect(both).not.toContain(value);
    }
    for (const [name, value] of Object.entries(PASSES)) expect(printed.agent).toContain(`${name}=${value}`);
    expect(printed.agent).toMatch(/^PATH=/m);
    expect(printed.check).toMatch(/^PATH=/m);
  });

  it('gets by name what the spec passes, and by value what it sets', async () => {
    const printed = await printedEnvironments({
      passEnv: ['MY_SERVICE_TOKEN', 'PGPASSWORD'],
      env: { GIVEN: 'by-value' },
    });
    expect(printed.agent).toContain(`MY_SERVICE_TOKEN=${SECRETS.MY_SERVICE_TOKEN}`);
    expect(printed.agent).toContain(`PGPASSWORD=${SECRETS.PGPASSWORD}`);
    expect(printed.agent).toContain('GIVEN=by-value');
    expect(printed.agent).not.toContain(SECRETS.HOOK_SECRET);
  });

  it('refuses a secret variable whose name would not keep it from other jobs’ agents', async () => {
    const dir = await makeDocs(1);
    const spec = await writeSpec(dir, {
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'x',
      webhook: { url: hookUrl, secretEnv: 'ACME_HOOK' },
    });
    const r = await h.cli(['create', spec], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('webhook.secretEnv ACME_HOOK does not read as a secret');
  });

  it('refuses a spec that passes the engine’s own variables', async () => {
    const dir = await makeDocs(1);
    const spec = await writeSpec(dir, {
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'x',
      agent: { type: 'command', command: ['env'], passEnv: ['DATABASE_URL'] },
    });
    const r = await h.cli(['create', spec], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("DATABASE_URL is the engine's own setting and never reaches an agent");
  });
});
