/**
 * A worker's metrics, on the Temporal SDK's own Prometheus endpoint (`--metrics-port`): the SDK's
 * (`temporal_*`: task slots, poll and schedule latencies, activity failures) and the engine's
 * (`agentic_batch_*`, activities/metrics.ts), made with the SDK's metric meter so one scrape has both. Loopback unless
 * told otherwise: the exporter has no authentication.
 */
import { Runtime } from '@temporalio/worker';
import { UsageError } from '../errors.js';

export interface MetricsEndpoint {
  host: string;
  port: number;
}

/** Before any connection is made (the runtime is the process's, once). */
export function installMetricsRuntime(endpoint: MetricsEndpoint): void {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  try {
    Runtime.install({
      telemetryOptions: {
        metrics: { prometheus: { bindAddress: `${host}:${endpoint.port}`, countersTotalSuffix: true } },
      },
    });
  } catch (err) {
    throw new UsageError(
      `cannot serve metrics on ${host}:${endpoint.port}: ${(err as Error).message.split('\n')[0]}`,
      'choose another --metrics-port (another worker on this machine may have that one)',
    );
  }
}
