/**
 * The engine's own metrics (docs/deployment.md, "Metrics"), recorded by the activities on the Temporal SDK's
 * metric meter, so they are served with the SDK's on the worker's Prometheus endpoint
 * (src/worker/metrics.ts). Without an endpoint they record into nothing.
 */
import type { MetricCounter, MetricHistogram, MetricMeter, MetricUpDownCounter } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';

export type RunOutcome = 'succeeded' | 'failed' | 'throttled' | 'cancelled';

export class EngineMetrics {
  private readonly runs: MetricCounter;
  private readonly settled: MetricCounter;
  private readonly refusals: MetricCounter;
  private readonly cost: MetricHistogram;
  private readonly running: MetricUpDownCounter;

  constructor(meter: MetricMeter) {
    this.runs = meter.createCounter(
      'agentic_batch_agent_runs',
      '1',
      'agent runs ended, by agent, outcome and error type',
    );
    this.settled = meter.createCounter(
      'agentic_batch_units_settled',
      '1',
      'units settled by their attempts, by status',
    );
    this.refusals = meter.createCounter(
      'agentic_batch_governor_refusals',
      '1',
      'agent runs the API refused (rate limit, overload, usage window), which the governor throttles on',
    );
    this.cost = meter.createHistogram('agentic_batch_agent_run_cost_usd', 'float', 'USD', 'cost of each agent run');
    this.running =
      meter.createUpDownCounter?.('agentic_batch_agents_running', '1', 'agent processes running now') ??
      ({
        add: () => undefined,
      } as unknown as MetricUpDownCounter);
  }

  agentStarted(agent: string): void {
    this.running.add(1, { agent });
  }

  agentEnded(
    agent: string,
    run: { outcome: RunOutcome; errorType: string | null; costUsd: number; throttle: string | null },
  ): void {
    this.running.add(-1, { agent });
    this.runs.add(1, { agent, outcome: run.outcome, error_type: run.errorType ?? 'none' });
    this.cost.record(run.costUsd, { agent });
    if (run.throttle) this.refusals.add(1, { agent, kind: run.throttle });
  }

  unitSettled(status: 'succeeded' | 'failed'): void {
    this.settled.add(1, { status });
  }
}

let engine: EngineMetrics | null = null;

/** The process's engine metrics, on the runtime's meter. */
export function engineMetrics(): EngineMetrics {
  engine ??= new EngineMetrics(Runtime.instance().metricMeter);
  return engine;
}
