/** What the benchmarks measure processes with: CPU seconds and peak resident memory (Linux /proc). */
import { readdir, readFile } from 'node:fs/promises';

/** Every process's parent and stat fields (after the command name), from /proc. */
async function processTable(): Promise<Map<number, { ppid: number; fields: string[] }>> {
  const table = new Map<number, { ppid: number; fields: string[] }>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(name), { ppid: Number(fields[1]), fields });
  }
  return table;
}

/** The live processes of `rootPid`'s tree, itself included. */
async function processTree(rootPid: number): Promise<{ pid: number; fields: string[] }[]> {
  const table = await processTable();
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = table.get(p)?.ppid ?? 0, hops++) if (p === rootPid) return true;
    return false;
  };
  return [...table].filter(([pid]) => inTree(pid)).map(([pid, { fields }]) => ({ pid, fields }));
}

/**
 * CPU seconds of a process and every live descendant, each with its reaped children: a server's
 * worker processes (Postgres backends) count, and a dead child counts once, in its parent.
 */
export async function treeCpuSeconds(rootPid: number): Promise<number> {
  const tree = await processTree(rootPid);
  return tree.reduce((sum, { fields }) => sum + [11, 12, 13, 14].reduce((s, i) => s + Number(fields[i]), 0) / 100, 0);
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
    // stat's field 24 (22 after the name): resident pages.
    const bytes = (await processTree(rootPid)).reduce((sum, { fields }) => sum + Number(fields[21]) * 4096, 0);
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
