/** What the benchmarks measure processes with: CPU seconds and peak resident memory (Linux /proc). */
import { readdir, readFile } from 'node:fs/promises';

/**
 * CPU seconds of a process and every live descendant, each with its reaped children: a server's
 * worker processes (Postgres backends) count, and a dead child counts once, in its parent.
 */
export async function treeCpuSeconds(rootPid: number): Promise<number> {
  const stats = new Map<number, { ppid: number; seconds: number }>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
    stats.set(Number(name), { ppid: Number(fields[1]), seconds });
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = stats.get(p)?.ppid ?? 0, hops++) if (p === rootPid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, { seconds }] of stats) if (inTree(pid)) total += seconds;
  return total;
}

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

/** Peak resident memory of a process and its live descendants together (an agent and the servers it starts), in MB. */
export function peakTreeRss(rootPid: number, everyMs = 25): { stop(): Promise<number> } {
  let peakBytes = 0;
  let sampling: Promise<void> = Promise.resolve();
  const sample = async () => {
    const parents = new Map<number, number>();
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
      if (stat) parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    }
    let bytes = 0;
    for (const pid of parents.keys()) {
      let p = pid;
      for (let hops = 0; p > 1 && p !== rootPid && hops < 64; hops++) p = parents.get(p) ?? 0;
      if (p !== rootPid) continue;
      const statm = await readFile(`/proc/${pid}/statm`, 'utf8').catch(() => '0 0');
      bytes += Number(statm.split(' ')[1]) * 4096;
    }
    peakBytes = Math.max(peakBytes, bytes);
  };
  const timer = setInterval(() => void (sampling = sampling.then(sample)), everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      return Math.round(peakBytes / 1024 / 1024);
    },
  };
}
