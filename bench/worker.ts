/** A worker process for the benchmarks, on the private stack they start. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildClaudeArgs, claudeEnv } from '../src/agents/claude/buildArgs.js';
import { claudeAgentSchema } from '../src/agents/claude/claude.js';
import { agentKind } from '../src/agents/index.js';
import { workerProcessEnv } from '../src/stack/background.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'agentic-batch.js');
/** A stand-in agent printing claude's stream-json shape after EMITTER_LATENCY_MS. */
export const EMITTER = path.join(ROOT, 'scripts', 'stream-json-emitter.sh');

export async function startWorker(env: Record<string, string>, maxConcurrentAgents: number) {
  const nodeOptions = process.env.BENCH_WORKER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
  const worker = execa(
    'node',
    [...nodeOptions, CLI, 'worker', '--max-concurrent-agents', String(maxConcurrentAgents)],
    // As `up -d` and the Docker image run a worker.
    { env: workerProcessEnv({ ...process.env, ...env }), extendEnv: false, reject: false, all: true },
  );
  let output = '';
  worker.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  while (!output.includes('worker polling')) {
    if (worker.exitCode !== null) throw new Error(`worker failed: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: worker.pid!,
    async stop() {
      worker.kill('SIGTERM');
      await worker;
    },
  };
}

/**
 * The real claude against the Messages API at `url`: the job's agent spec, and the same program,
 * arguments and environment for `xargs` (CLAUDE_CODE_MAX_RETRIES=0 among them, as the engine runs it).
 */
export function claudeAgainst(url: string) {
  const apiEnv = { ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: 'sk-bench-not-a-real-key' };
  const claude = claudeAgentSchema.parse({ type: 'claude', env: apiEnv });
  return {
    spec: { type: 'claude' as const, env: apiEnv },
    baselineCommand: [
      agentKind(claude).program(claude, process.env),
      ...buildClaudeArgs(claude, { prompt: 'Process {}', addDirs: [], resumeSessionId: null }),
    ],
    baselineEnv: claudeEnv(claude, null),
  };
}
