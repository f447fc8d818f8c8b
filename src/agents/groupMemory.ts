/**
 * The peak resident memory of each agent's process group (the agent and everything it started:
 * MCP servers, tools), sampled in the agent spawner from /proc: what a worker learns an agent
 * kind needs (memoryGate.ts). One scan reads each process's `stat` once (its group and RSS) and
 * runs only while an agent older than FIRST_SAMPLE_MS is alive: units shorter than that are not
 * sampled (their kind keeps its estimate), and a job of 100 ms units costs nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';

const EVERY_MS = 400;
const FIRST_SAMPLE_MS = 300;
const PAGE_BYTES = 4096;

/** Each process group's resident bytes, from /proc/<pid>/stat (fields 5: pgrp, 24: rss in pages). */
export function groupRss(procDir = '/proc'): Map<number, number> {
  const groups = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync(procDir);
  } catch {
    return groups; // no /proc (not Linux): nothing is learned
  }
  for (const name of names) {
    if (name.charCodeAt(0) > 57) continue; // not a pid
    let stat: string;
    try {
      stat = readFileSync(`${procDir}/${name}/stat`, 'latin1');
    } catch {
      continue; // it exited meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    groups.set(pgrp, (groups.get(pgrp) ?? 0) + Number(fields[21]) * PAGE_BYTES);
  }
  return groups;
}

export class GroupMemorySampler {
  private readonly agents = new Map<number, { since: number; peak: number }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly scan: () => Map<number, number> = groupRss,
    private readonly now: () => number = Date.now,
  ) {}

  track(pid: number): void {
    this.agents.set(pid, { since: this.now(), peak: 0 });
    this.timer ??= setInterval(() => this.sample(), EVERY_MS);
  }

  /** The agent exited: its peak (null: it never ran long enough to be sampled). */
  untrack(pid: number): number | null {
    const agent = this.agents.get(pid);
    this.agents.delete(pid);
    if (this.agents.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    return agent && agent.peak > 0 ? agent.peak : null;
  }

  sample(): void {
    const due = this.now() - FIRST_SAMPLE_MS;
    if (![...this.agents.values()].some((a) => a.since <= due)) return;
    const groups = this.scan();
    for (const [pid, agent] of this.agents) agent.peak = Math.max(agent.peak, groups.get(pid) ?? 0);
  }
}
