/**
 * A unit's agent loads nothing of the machine it runs on unless the spec says so, on real
 * parts: a worker whose HOME holds a user's claude setup (two hooks, two MCP servers, a
 * CLAUDE.md, a skill, a subagent) and a codex home with two MCP servers and a notify hook; the
 * real `claude` and `codex` binaries against the scripted APIs. Before this, every unit's claude
 * ran both hooks and started both servers.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { makeUserConfig, type UserConfig } from '../../bench/userConfig.js';
import { makeDocs, useHarness, writeSpec } from '../support/harness.js';

const h = useHarness();
let user: UserConfig;
let before = { hooks: 0, servers: 0 };

beforeAll(async () => {
  user = await makeUserConfig();
  await h.startWorker({ HOME: user.home });
});

/** Runs a job of two units with this agent; what ran of the user's setup during it. */
async function loadedBy(agent: Record<string, unknown>): Promise<{ hooks: string[]; servers: string[] }> {
  before = { hooks: (await user.hooks()).length, servers: (await user.servers()).length };
  const dir = await makeDocs(2);
  const spec = await writeSpec(dir, {
    name: 'hermetic',
    source: { type: 'files', glob: 'docs/*.md' },
    prompt: 'Summarize {{relative_path}}',
    testUnits: 0,
    agent: { rehearse: true, ...agent },
  });
  const done = await h.runJob([spec], { cwd: dir });
  expect(done).toMatchObject({ status: 'COMPLETED', counts: { succeeded: 2 } });
  return {
    hooks: (await user.hooks()).slice(before.hooks),
    servers: (await user.servers()).slice(before.servers).sort(),
  };
}

describe('hermetic agents', () => {
  it('claude runs none of its user’s hooks and starts none of their MCP servers by default', async () => {
    expect(await loadedBy({})).toEqual({ hooks: [], servers: [] });
  });

  it('claude starts exactly the MCP servers the spec names', async () => {
    const loaded = await loadedBy({ mcpServers: { named: { type: 'stdio', ...user.serverCommand('named') } } });
    expect(loaded).toEqual({ hooks: [], servers: ['named', 'named'] });
  });

  it('claude with useUserConfig loads the user’s setup, as before (the check that the setup is live)', async () => {
    const loaded = await loadedBy({ useUserConfig: true });
    expect(loaded.hooks.sort()).toEqual(['SessionStart', 'SessionStart', 'Stop', 'Stop']);
    expect(loaded.servers).toEqual(['alpha', 'alpha', 'beta', 'beta']);
  });

  it('codex ignores its user’s config.toml (MCP servers, notify) by default, and loads it when asked', async () => {
    const codex = { type: 'codex', env: { CODEX_HOME: user.codexHome } };
    expect(await loadedBy(codex)).toEqual({ hooks: [], servers: [] });
    const named = await loadedBy({ ...codex, mcpServers: { named: user.serverCommand('named') } });
    expect(named).toEqual({ hooks: [], servers: ['named', 'named'] });
    const own = await loadedBy({ ...codex, useUserConfig: true });
    expect(own.hooks).toEqual(['notify', 'notify']);
    expect(own.servers).toEqual(['alpha', 'alpha', 'beta', 'beta']);
  });
});
