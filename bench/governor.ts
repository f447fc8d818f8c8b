/**
 * `npm run bench -- --rate-limit R --units N --concurrency C [--agent api-emitter|claude] [--json]`
 *
 * The rate-limit governor against a scripted Messages API that admits R requests a second over
 * all callers (429 beyond). One job on a private stack, and in the same run `xargs -P C` over the
 * same agent against a fresh API with the same limit, each run backing off on its own: the real
 * claude with its own retries (CLAUDE_CODE_MAX_RETRIES unset), the api-emitter run again after a
 * second, doubling, up to 10 times (as the CLI's default). Reports, for both: wall time, the share of the allowed
 * rate reached (N one-request units in N/R seconds at best), requests refused, failed units.
 *
 * The api-emitter (scripts/stream-json-emitter.sh with EMITTER_CALLS_API=1) makes one real
 * request per unit: at 2 and 5 requests a second the real CLI's ~0.5 CPU-s per run would make
 * this 2-core machine the limit, not the API.
 */
import { execa } from 'execa';
import { createJob, prepareJob } from '../src/client/createJob.js';
import { jobHandle } from '../src/client/jobs.js';
import { openSession } from '../src/client/session.js';
import { loadConfig } from '../src/config.js';
import { startScriptedApi, type ScriptedApi } from '../src/rehearsal/scriptedApi.js';
import { buildSpec } from '../src/spec/loadSpec.js';
import { statusQuery } from '../workflows/messages.js';
import { round } from './measure.js';
import { benchStack } from './stack.js';
import { claudeAgainst, EMITTER, startWorker } from './worker.js';

export interface GovernorBenchOptions {
  rateLimit: number;
  units: number;
  concurrency: number;
  agent: 'api-emitter' | 'claude';
  /** The job's spec declares the API's limit (`requestsPerMinute`) instead of learning it. */
  declareLimit?: boolean;
  /** Jobs at once against the one API (each of `units`), as several jobs sharing an account. */
  jobs?: number;
  json?: boolean;
}

const API_KEY = 'sk-bench-not-a-real-key';

export async function benchGovernor(opts: GovernorBenchOptions): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log('starting a private stack…');
  const { files, names, env, onCleanup, cleanup, work } = await benchStack(opts.units);
  try {
    const worker = await startWorker(env, opts.concurrency * 2);
    onCleanup(worker.stop);
    const session = await openSession(loadConfig({ ...process.env, ...env }), { autoStart: false });
    onCleanup(() => session.close());

    const engineApi = await startScriptedApi({ rateLimitPerSecond: opts.rateLimit });
    onCleanup(() => engineApi.close());
    const agent = agentFor(opts.agent, engineApi.url);
    const spec = buildSpec(
      {
        name: 'bench-governor',
        source: { type: 'files', glob: '*.txt', cwd: files },
        prompt: 'Process {{relative_path}}',
        concurrency: opts.concurrency,
        testUnits: 0,
        // Refusals do not count as attempts; other failures must not hide behind retries.
        retries: 0,
        ...(opts.declareLimit ? { requestsPerMinute: opts.rateLimit * 60 } : {}),
        agent: agent.spec,
      },
      work,
      'bench',
    );
    await prepareJob(spec);
    log(
      `engine: ${opts.units} units × ${opts.agent} at concurrency ${opts.concurrency}, API limit ${opts.rateLimit}/s…`,
    );
    const jobs = opts.jobs ?? 1;
    const engineStart = performance.now();
    const handles = await Promise.all(
      Array.from({ length: jobs }, async (_, i) =>
        jobHandle(session, (await createJob(session, { ...spec, name: `${spec.name}-${i + 1}` })).jobId),
      ),
    );
    const progress = setInterval(() => {
      for (const handle of handles)
        handle.query(statusQuery).then(
          (st) => log(`  ${st.name} ${st.state} ${JSON.stringify(st.counts)} ${st.throttle.text ?? ''}`),
          () => undefined,
        );
    }, 2000);
    const finals = await Promise.all(handles.map((h) => h.result())).finally(() => clearInterval(progress));
    const failed = finals.reduce((n, f) => n + f.counts.failed, 0);
    const engine = outcome(performance.now() - engineStart, engineApi, failed, { ...opts, units: opts.units * jobs });

    log(`baseline: xargs -P ${opts.concurrency}, each run backing off on its own…`);
    const baselineApi = await startScriptedApi({ rateLimitPerSecond: opts.rateLimit });
    onCleanup(() => baselineApi.close());
    const baselineAgent = agentFor(opts.agent, baselineApi.url);
    const baselineStart = performance.now();
    // One xargs per job, at once; each failed run prints one line: that is the count of failed units.
    const runs = await Promise.all(
      Array.from({ length: jobs }, () =>
        execa(
          'bash',
          [
            '-c',
            `xargs -d '\\n' -P ${opts.concurrency} -I{} bash -c '"$@" >/dev/null 2>&1 || echo failed' _ "$@"`,
            'xargs',
            ...baselineAgent.baselineCommand,
          ],
          { input: names.join('\n'), cwd: files, env: baselineAgent.baselineEnv, reject: false },
        ),
      ),
    );
    const failedRuns = runs.reduce((n, run) => n + run.stdout.split('\n').filter((l) => l === 'failed').length, 0);
    const baseline = outcome(performance.now() - baselineStart, baselineApi, failedRuns, {
      ...opts,
      units: opts.units * jobs,
    });

    const report = {
      jobs,
      declaredLimit: opts.declareLimit ?? false,
      agent: opts.agent,
      units: opts.units,
      concurrency: opts.concurrency,
      rateLimit: opts.rateLimit,
      engine,
      baseline,
    };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    const row = (name: string, o: ReturnType<typeof outcome>) =>
      `${name.padEnd(22)} ${String(o.wallMs).padStart(7)} ms  ${o.shareOfAllowedRate.toFixed(2)} of the allowed rate  ` +
      `${o.refused}/${o.modelRequests} refused (${(o.refusedShare * 100).toFixed(1)}%)  ${o.failedUnits} failed`;
    const each = jobs > 1 ? `${jobs} jobs of ` : '';
    console.log(
      `${each}${opts.units} units × ${opts.agent} at concurrency ${opts.concurrency}, API admits ${opts.rateLimit}/s`,
    );
    console.log(row('agentic-batch', engine));
    console.log(row(`${jobs > 1 ? `${jobs} × ` : ''}xargs -P ${opts.concurrency}`, baseline));
  } finally {
    await cleanup();
  }
}

function outcome(wallMs: number, api: ScriptedApi, failedUnits: number, opts: GovernorBenchOptions) {
  const { modelRequests, rateLimited } = api.stats();
  const bestMs = (opts.units / opts.rateLimit) * 1000;
  return {
    wallMs: Math.round(wallMs),
    shareOfAllowedRate: round(bestMs / wallMs),
    modelRequests,
    refused: rateLimited,
    refusedShare: round(rateLimited / Math.max(1, modelRequests)),
    failedUnits,
  };
}

/** The agent's job spec and the same program for xargs, against the API at `url`. */
function agentFor(kind: GovernorBenchOptions['agent'], url: string) {
  if (kind === 'api-emitter') {
    const emitterEnv = { ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: API_KEY, EMITTER_CALLS_API: '1' };
    return {
      spec: { bin: EMITTER, env: emitterEnv },
      baselineCommand: ['bash', '-c', RETRYING_EMITTER, 'emitter'],
      baselineEnv: emitterEnv,
    };
  }
  // Without CLAUDE_CODE_MAX_RETRIES the CLI retries a refusal on its own, as a client without a governor would.
  const claude = claudeAgainst(url);
  const { CLAUDE_CODE_MAX_RETRIES: _ownRetries, ...ownRetries } = claude.baselineEnv;
  return { ...claude, baselineEnv: ownRetries };
}

/** The emitter run again after a refusal, waiting a second and doubling, up to 10 times (claude's default). */
const RETRYING_EMITTER = `for i in 0 1 2 3 4 5 6 7 8 9 10; do
  "${EMITTER}" && exit 0
  sleep $((1 << i > 30 ? 30 : 1 << i))
done
exit 1`;
