/** What the benchmarks measure processes with: CPU seconds and peak resident memory (Linux /proc). */
import { readFile } from 'node:fs/promises';

/** utime + stime of a process and its reaped children, in seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / 100;
}

/**
 * Samples a process's peak RSS (VmHWM, the kernel's own high-water mark) until stopped; the
 * last sample before the process exits holds its peak up to then.
 */
export function peakRss(pid: number, everyMs = 50): { stop(): number } {
  let peakKb = 0;
  const sample = () =>
    void readFile(`/proc/${pid}/status`, 'utf8')
      .then((status) => {
        peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
      })
      .catch(() => undefined);
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(peakKb / 1024);
    },
  };
}

export function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
