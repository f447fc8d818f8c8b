/** A worker process for the benchmarks, on the private stack they start. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'agentic-batch.js');
/** A stand-in agent printing claude's stream-json shape after EMITTER_LATENCY_MS. */
export const EMITTER = path.join(ROOT, 'scripts', 'stream-json-emitter.sh');

export async function startWorker(env: Record<string, string>, maxConcurrentAgents: number) {
  const nodeOptions = process.env.BENCH_WORKER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
  const worker = execa(
    'node',
    [...nodeOptions, CLI, 'worker', '--max-concurrent-agents', String(maxConcurrentAgents)],
    {
      env,
      reject: false,
      all: true,
    },
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
