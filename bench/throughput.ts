/**
 * `npm run bench -- --units N --latency-ms L --concurrency C [--json]`
 *
 * Runs one job whose agent is the stream-json emitter sleeping L ms per unit, on a private
 * stack (Temporal dev server, embedded Postgres, one worker process), and in the same run
 * `xargs -P C` over the same emitter and units. Reports wall time, the ideal N·L/C, efficiency
 * (ideal/actual) for both, units/s and the worker's peak RSS. Ratios matter, not absolute
 * times: this machine is shared and noisy.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { createJob, prepareJob } from '../src/client/createJob.js';
import { jobHandle } from '../src/client/jobs.js';
import { openSession } from '../src/client/session.js';
import { loadConfig } from '../src/config.js';
import { buildSpec } from '../src/spec/loadSpec.js';
import { startPrivateServers } from '../src/stack/privateServers.js';
import { cpuSeconds, peakRss, round } from './measure.js';
import { EMITTER, startWorker } from './worker.js';

export interface ThroughputOptions {
  units: number;
  latencyMs: number;
  concurrency: number;
  json?: boolean;
}

export async function benchThroughput(opts: ThroughputOptions): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);

  log('starting a private stack…');
  const servers = await startPrivateServers({ prefix: 'agentic-batch-bench-' });
  const work = servers.home;
  const cleanups: (() => Promise<unknown>)[] = [() => servers.stop(), () => rm(work, { recursive: true, force: true })];
  try {
    const files = path.join(work, 'units');
    await mkdir(files);
    await Promise.all(
      Array.from({ length: opts.units }, (_, i) => writeFile(path.join(files, `unit-${i}.txt`), `${i}\n`)),
    );

    const env = {
      TEMPORAL_ADDRESS: servers.temporalAddress,
      DATABASE_URL: servers.databaseUrl,
      AGENTIC_BATCH_TASK_QUEUE: 'bench',
      AGENTIC_BATCH_HOME: work,
    };
    const worker = await startWorker(env, opts.concurrency * 2);
    cleanups.unshift(worker.stop);

    const spec = buildSpec(
      {
        name: 'bench',
        source: { type: 'files', glob: '*.txt', cwd: files },
        prompt: 'Process {{relative_path}}',
        concurrency: opts.concurrency,
        testUnits: 0,
        agent: { bin: EMITTER, env: { EMITTER_LATENCY_MS: String(opts.latencyMs) } },
      },
      work,
      'bench',
    );
    const config = { ...loadConfig({ ...process.env, ...env }) };
    await prepareJob(spec);
    const session = await openSession(config, { autoStart: false });
    cleanups.unshift(() => session.close());

    log(`engine: ${opts.units} units × ${opts.latencyMs} ms at concurrency ${opts.concurrency}…`);
    const rss = peakRss(worker.pid, 200);
    const cpuBefore = { worker: await cpuSeconds(worker.pid!), temporal: await cpuSeconds(servers.temporalPid!) };
    const engineStart = performance.now();
    const { jobId } = await createJob(session, spec);
    const limitMs = ((opts.units * opts.latencyMs) / opts.concurrency) * 5 + 120_000;
    const final = await Promise.race([
      jobHandle(session, jobId).result(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`the job did not finish within ${limitMs} ms`)), limitMs).unref(),
      ),
    ]);
    const engineMs = performance.now() - engineStart;
    const peakWorkerRssMb = rss.stop();
    const cpu = {
      worker: round((await cpuSeconds(worker.pid!)) - cpuBefore.worker),
      temporal: round((await cpuSeconds(servers.temporalPid!)) - cpuBefore.temporal),
    };
    if (final.state !== 'COMPLETED' || final.counts.succeeded !== opts.units) {
      throw new Error(`the job ended ${final.state} with ${final.counts.succeeded}/${opts.units} succeeded`);
    }

    log(`baseline: xargs -P ${opts.concurrency} over the same emitter…`);
    const list = (await execa('ls', [files])).stdout;
    const baselineStart = performance.now();
    await execa(
      'xargs',
      ['-P', String(opts.concurrency), '-I{}', EMITTER, '-p', 'Process {}', '--output-format', 'stream-json'],
      {
        input: list,
        env: { EMITTER_LATENCY_MS: String(opts.latencyMs) },
        stdout: 'ignore',
      },
    );
    const baselineMs = performance.now() - baselineStart;

    const idealMs = (opts.units * opts.latencyMs) / opts.concurrency;
    const report = {
      units: opts.units,
      concurrency: opts.concurrency,
      latencyMs: opts.latencyMs,
      wallMs: Math.round(engineMs),
      idealMs: Math.round(idealMs),
      efficiency: round(idealMs / engineMs),
      unitsPerSec: round(opts.units / (engineMs / 1000)),
      peakWorkerRssMb,
      baseline: { wallMs: Math.round(baselineMs), efficiency: round(idealMs / baselineMs) },
      /** CPU seconds the engine's parts used during the job (worker includes its agent processes). */
      cpuSeconds: cpu,
    };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      const row = (name: string, wall: number, eff: number) =>
        `${name.padEnd(22)} ${String(Math.round(wall)).padStart(8)} ms  efficiency ${eff.toFixed(3)}  ${(opts.units / (wall / 1000)).toFixed(1)} units/s`;
      console.log(
        `${opts.units} units × ${opts.latencyMs} ms at concurrency ${opts.concurrency}: ideal ${Math.round(idealMs)} ms`,
      );
      console.log(row('agentic-batch', engineMs, report.efficiency));
      console.log(row(`xargs -P ${opts.concurrency}`, baselineMs, report.baseline.efficiency));
      console.log(
        `engine / baseline wall: ${(engineMs / baselineMs).toFixed(3)} · peak worker RSS ${report.peakWorkerRssMb} MB`,
      );
      console.log(`CPU during the job: worker ${cpu.worker}s (with its agents), Temporal server ${cpu.temporal}s`);
    }
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}
