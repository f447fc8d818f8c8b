/**
 * `npm run bench -- --units N --latency-ms L --concurrency C [--agent emitter|claude] [--json]`
 *
 * Runs one job on a private stack (Temporal dev server, embedded Postgres, one worker process)
 * and in the same run `xargs -P C` over the same agent and units. The agent is the stream-json
 * emitter sleeping L ms per unit, or the real `claude` against a scripted Messages API in this
 * process (one API for both). Reports wall time, the ideal N·L/C and efficiency (ideal/actual)
 * for both, units/s, the worker's peak RSS, and the orchestration CPU per unit: the CPU of the
 * worker, the Temporal server and Postgres during the job, minus what the same agents cost
 * under xargs. Ratios matter, not absolute times: this machine is shared and noisy.
 */
import { execa } from 'execa';
import { createJob, prepareJob } from '../src/client/createJob.js';
import { jobHandle } from '../src/client/jobs.js';
import { openSession } from '../src/client/session.js';
import { loadConfig } from '../src/config.js';
import { startScriptedApi } from '../src/rehearsal/scriptedApi.js';
import { buildSpec } from '../src/spec/loadSpec.js';
import { peakRss, round, treeCpuSeconds } from './measure.js';
import { benchStack } from './stack.js';
import { claudeAgainst, EMITTER, startWorker } from './worker.js';

export interface ThroughputOptions {
  units: number;
  latencyMs: number;
  concurrency: number;
  agent: 'emitter' | 'claude';
  json?: boolean;
}

const PROMPT = 'Process {{relative_path}}';

export async function benchThroughput(opts: ThroughputOptions): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);

  log('starting a private stack…');
  const { servers, work, files, names, env, onCleanup, cleanup } = await benchStack(opts.units);
  try {
    const agent = await benchAgent(opts, files);
    onCleanup(agent.close);
    const worker = await startWorker(env, opts.concurrency * 2);
    onCleanup(worker.stop);

    const spec = buildSpec(
      {
        name: 'bench',
        source: { type: 'files', glob: '*.txt', cwd: files },
        prompt: PROMPT,
        concurrency: opts.concurrency,
        testUnits: 0,
        agent: agent.spec,
      },
      work,
      'bench',
    );
    const config = { ...loadConfig({ ...process.env, ...env }) };
    await prepareJob(spec);
    const session = await openSession(config, { autoStart: false });
    onCleanup(() => session.close());

    const label = opts.agent === 'claude' ? 'the real claude' : `${opts.latencyMs} ms`;
    log(`engine: ${opts.units} units × ${label} at concurrency ${opts.concurrency}…`);
    const pids = { worker: worker.pid, temporal: servers.temporalPid!, postgres: servers.postgresPid! };
    const cpuNow = async () => ({
      worker: await treeCpuSeconds(pids.worker),
      temporal: await treeCpuSeconds(pids.temporal),
      postgres: await treeCpuSeconds(pids.postgres),
    });
    const rss = peakRss(worker.pid, 200);
    const cpuBefore = await cpuNow();
    const engineStart = performance.now();
    const { jobId } = await createJob(session, spec);
    const limitMs = ((opts.units * Math.max(opts.latencyMs, 5000)) / opts.concurrency) * 5 + 120_000;
    const final = await Promise.race([
      jobHandle(session, jobId).result(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`the job did not finish within ${limitMs} ms`)), limitMs).unref(),
      ),
    ]);
    const engineMs = performance.now() - engineStart;
    const peakWorkerRssMb = rss.stop();
    const cpuAfter = await cpuNow();
    const cpu = {
      worker: round(cpuAfter.worker - cpuBefore.worker),
      temporal: round(cpuAfter.temporal - cpuBefore.temporal),
      postgres: round(cpuAfter.postgres - cpuBefore.postgres),
    };
    if (final.state !== 'COMPLETED' || final.counts.succeeded !== opts.units) {
      throw new Error(`the job ended ${final.state} with ${final.counts.succeeded}/${opts.units} succeeded`);
    }

    log(`baseline: xargs -P ${opts.concurrency} over the same agent…`);
    const baselineStart = performance.now();
    // bash's `times` reports the CPU of its reaped children: xargs and every agent it ran.
    const baseline = await execa(
      'bash',
      ['-c', `xargs -d '\\n' -P ${opts.concurrency} -I{} "$@" >/dev/null; times`, 'xargs', ...agent.baselineCommand],
      { input: names.join('\n'), cwd: files, env: agent.baselineEnv },
    );
    const baselineMs = performance.now() - baselineStart;
    const agentsCpu = childrenCpuSeconds(baseline.stdout);
    const engineCpu = cpu.worker + cpu.temporal + cpu.postgres;

    const idealMs = opts.agent === 'claude' ? null : (opts.units * opts.latencyMs) / opts.concurrency;
    const report = {
      agent: opts.agent,
      units: opts.units,
      concurrency: opts.concurrency,
      latencyMs: opts.agent === 'claude' ? null : opts.latencyMs,
      wallMs: Math.round(engineMs),
      idealMs: idealMs === null ? null : Math.round(idealMs),
      efficiency: idealMs === null ? null : round(idealMs / engineMs),
      unitsPerSec: round(opts.units / (engineMs / 1000)),
      peakWorkerRssMb,
      baseline: {
        wallMs: Math.round(baselineMs),
        efficiency: idealMs === null ? null : round(idealMs / baselineMs),
        agentsCpuSeconds: round(agentsCpu),
      },
      engineOverBaselineWall: round(engineMs / baselineMs),
      /** CPU seconds of the engine's parts during the job (the worker's include its agent processes). */
      cpuSeconds: cpu,
      /** The engine's CPU per unit beyond what the same agents cost under xargs. */
      orchestrationCpuMsPerUnit: round(((engineCpu - agentsCpu) * 1000) / opts.units),
    };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      const row = (name: string, wall: number) => {
        const eff = idealMs === null ? '' : `  efficiency ${(idealMs / wall).toFixed(3)}`;
        return `${name.padEnd(22)} ${String(Math.round(wall)).padStart(8)} ms${eff}  ${(opts.units / (wall / 1000)).toFixed(1)} units/s`;
      };
      const ideal = idealMs === null ? '' : `: ideal ${Math.round(idealMs)} ms`;
      console.log(`${opts.units} units × ${label} at concurrency ${opts.concurrency}${ideal}`);
      console.log(row('agentic-batch', engineMs));
      console.log(row(`xargs -P ${opts.concurrency}`, baselineMs));
      console.log(
        `engine / baseline wall: ${report.engineOverBaselineWall.toFixed(3)} · peak worker RSS ${peakWorkerRssMb} MB`,
      );
      console.log(
        `CPU during the job: worker ${cpu.worker}s (with its agents), Temporal ${cpu.temporal}s, Postgres ${cpu.postgres}s; the agents under xargs ${round(agentsCpu)}s`,
      );
      console.log(`orchestration CPU per unit: ${report.orchestrationCpuMsPerUnit} ms`);
    }
  } finally {
    await cleanup();
  }
}

/** The agent both sides run: the job's agent spec, and the same program and arguments for xargs. */
async function benchAgent(opts: ThroughputOptions, cwd: string) {
  if (opts.agent === 'emitter') {
    const emitterEnv = { EMITTER_LATENCY_MS: String(opts.latencyMs) };
    return {
      spec: { bin: EMITTER, env: emitterEnv },
      baselineCommand: [EMITTER, '-p', '--output-format', 'stream-json', '--verbose', '--', 'Process {}'],
      baselineEnv: emitterEnv,
      close: async () => undefined,
    };
  }
  const api = await startScriptedApi();
  const claude = claudeAgainst(api.url);
  return { ...claude, baselineEnv: { ...claude.baselineEnv, PWD: cwd }, close: () => api.close() };
}

/** The children's user + system seconds from bash's `times` (its second line). */
function childrenCpuSeconds(times: string): number {
  const line = times.trim().split('\n').at(-1) ?? '';
  return [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
}
