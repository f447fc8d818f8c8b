/**
 * A job's status as the server pushes it (server-sent events), until the job ends; with the
 * settled-unit samples the rate and ETA are read from. `generation` reopens the stream (after a
 * retry, the ended job runs again).
 */
import { useEffect, useState } from 'preact/hooks';
import { isTerminal } from '../../src/domain/lifecycle.js';
import { jobPath } from './api.js';
import type { JobStatusJson } from './types.js';

export interface Sample {
  at: number;
  settled: number;
}

/** The rate is over the last minute of samples. */
const WINDOW_MS = 60_000;

export function useJobEvents(jobId: string, generation: number) {
  const [status, setStatus] = useState<JobStatusJson | null>(null);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const source = new EventSource(`${jobPath(jobId)}/events`);
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.addEventListener('status', (e) => {
      const next = JSON.parse((e as MessageEvent<string>).data) as JobStatusJson;
      setStatus(next);
      const { counts } = next;
      const sample = { at: Date.now(), settled: counts.total - counts.pending - counts.running };
      setSamples((old) => [...old.filter((s) => sample.at - s.at < WINDOW_MS), sample]);
      // The server ends the stream with the job; without this the browser would reconnect.
      if (isTerminal(next.status)) {
        source.close();
        setConnected(false);
      }
    });
    return () => source.close();
  }, [jobId, generation]);
  return { status, samples, connected };
}

/** Units settled per minute over the samples, and when the rest will have settled at that rate. */
export function pace(
  samples: readonly Sample[],
  remaining: number,
): { perMinute: number | null; etaMs: number | null } {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || last.at - first.at < 2000) return { perMinute: null, etaMs: null };
  const perMs = (last.settled - first.settled) / (last.at - first.at);
  return { perMinute: perMs * 60_000, etaMs: perMs > 0 ? remaining / perMs : null };
}
