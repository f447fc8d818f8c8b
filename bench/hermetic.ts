/**
 * `npm run bench -- --hermetic N`: what a user's agent configuration costs each unit, on the
 * real binaries against the scripted APIs. A fresh HOME (and CODEX_HOME) holds a setup as people
 * have it (bench/userConfig.ts: two MCP servers and hooks); each mode runs N times one after
 * another, invoked exactly as a unit's attempt is (the adapters' own command lines), and reports
 * the median wall time, the median peak memory of the agent with everything it started, and
 * what of the setup ran.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { claudeAgent, claudeAgentSchema } from '../src/agents/claude/claude.js';
import { codexAgent, codexAgentSchema } from '../src/agents/codex/codex.js';
import { startScriptedApi } from '../src/rehearsal/scriptedApi.js';
import { peakTreeRss } from './measure.js';
import { makeUserConfig, type UserConfig } from './userConfig.js';

interface Mode {
  name: string;
  agent: 'claude' | 'codex';
  spec: Record<string, unknown>;
}

const MODES: Mode[] = [
  { name: 'claude, the user’s config (before)', agent: 'claude', spec: { useUserConfig: true } },
  { name: 'claude, hermetic (default)', agent: 'claude', spec: {} },
  { name: 'claude, bare', agent: 'claude', spec: { bare: true } },
  { name: 'codex, the user’s config (before)', agent: 'codex', spec: { useUserConfig: true } },
  { name: 'codex, hermetic (default)', agent: 'codex', spec: {} },
];

interface Run {
  ms: number;
  rssMb: number;
  exitCode: number | null;
}

function invocation(mode: Mode, user: UserConfig, rehearsalUrl: string, cwd: string) {
  const ctx = {
    prompt: 'Say hello.',
    render: (t: string) => t,
    unitDirectory: null,
    resumeSessionId: null,
    rehearsalUrl,
  };
  if (mode.agent === 'claude') {
    const spec = claudeAgentSchema.parse({ type: 'claude', rehearse: true, ...mode.spec });
    return { ...claudeAgent.start(spec, ctx, {}).invocation, home: { HOME: user.home } };
  }
  const spec = codexAgentSchema.parse({
    type: 'codex',
    rehearse: true,
    env: { CODEX_HOME: user.codexHome },
    ...mode.spec,
  });
  return { ...codexAgent.start(spec, { ...ctx, unitDirectory: cwd }, {}).invocation, home: {} };
}

async function runOnce(mode: Mode, user: UserConfig, rehearsalUrl: string, cwd: string): Promise<Run> {
  const { bin, args, env, home } = invocation(mode, user, rehearsalUrl, cwd);
  const started = performance.now();
  const child = spawn(bin, args, {
    cwd,
    env: { ...process.env, ...home, ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const rss = peakTreeRss(child.pid!);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const ms = performance.now() - started;
  return { ms: Math.round(ms), rssMb: await rss.stop(), exitCode };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchHermetic(runs: number, json: boolean): Promise<void> {
  const user = await makeUserConfig();
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-hermetic-'));
  const api = await startScriptedApi({ port: 0 });
  const rows = [];
  try {
    for (const mode of MODES) {
      const [hooksBefore, serversBefore] = [(await user.hooks()).length, (await user.servers()).length];
      const results: Run[] = [];
      for (let i = 0; i < runs; i++) results.push(await runOnce(mode, user, api.url, cwd));
      rows.push({
        mode: mode.name,
        runs,
        failed: results.filter((r) => r.exitCode !== 0).length,
        medianMs: median(results.map((r) => r.ms)),
        medianPeakRssMb: median(results.map((r) => r.rssMb)),
        hooksPerRun: ((await user.hooks()).length - hooksBefore) / runs,
        mcpServersPerRun: ((await user.servers()).length - serversBefore) / runs,
      });
    }
  } finally {
    await api.close();
  }
  if (json) return console.log(JSON.stringify({ hermetic: rows }, null, 2));
  console.log('mode                                   ms   peak MB  hooks/run  MCP servers/run');
  for (const r of rows)
    console.log(
      `${r.mode.padEnd(36)} ${String(r.medianMs).padStart(5)} ${String(r.medianPeakRssMb).padStart(8)} ${String(r.hooksPerRun).padStart(9)} ${String(r.mcpServersPerRun).padStart(15)}${r.failed ? `  (${r.failed} failed)` : ''}`,
    );
}
