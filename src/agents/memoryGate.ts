/**
 * Agents admitted by memory: a worker starts another agent only while the machine can hold it.
 * Measured here: one `claude -p` of the bundled CLI peaks at ~220 MB, and the stack's worker
 * admits 100 agents, which at that size is 22 GB of this machine's 24. The estimate of each kind
 * is learned from the peaks of its agents' process groups (groupMemory.ts), starting from what
 * was measured; the memory available is the container's (cgroup v2 or v1, its page cache
 * counted free) or the machine's `MemAvailable`, less a reserve, less what the agents started in
 * the last RAMP_MS will still take (they are not at their size yet). A worker with no agent
 * running always admits one: a machine too small for even one would otherwise wait for ever.
 */
import { readFileSync } from 'node:fs';

const MB = 1024 * 1024;
/** Measured peaks (DESIGN.md: claude 220–229 MB; bench/hermetic.ts: codex 154 MB); any other program: a guess. */
export const PRIOR_ESTIMATES: Record<string, number> = { claude: 230 * MB, codex: 160 * MB };
const OTHER_PRIOR = 64 * MB;
/** An agent reaches its size within about a second of starting (claude: 0.6 s to its result). */
const RAMP_MS = 3000;
/** Four files per reading (~0.1 ms): at 260 agents a second, read once per 200 ms. */
const READ_EVERY_MS = 200;
const UNLIMITED = 2 ** 60;

export interface MemoryReading {
  availableBytes: number;
  /** The machine's memory, or the container's limit when it has a lower one. */
  totalBytes: number;
}

export interface MemoryFiles {
  meminfo: string;
  /** cgroup v2: memory.max, memory.current, memory.stat */
  v2?: { max: string; current: string; stat: string } | null;
  /** cgroup v1: memory.limit_in_bytes, memory.usage_in_bytes, memory.stat */
  v1?: { limit: string; usage: string; stat: string } | null;
}

const statField = (text: string, name: string): number =>
  Number(new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);

/** What is free for agents, from the kernel's files (pure). */
export function memoryReading(files: MemoryFiles): MemoryReading {
  const total = statField(files.meminfo, 'MemTotal:') * 1024;
  const machine = statField(files.meminfo, 'MemAvailable:') * 1024;
  const cgroup = files.v2
    ? {
        limit: files.v2.max.trim() === 'max' ? UNLIMITED : Number(files.v2.max),
        used: Number(files.v2.current) - statField(files.v2.stat, 'inactive_file'),
      }
    : files.v1
      ? {
          limit: Number(files.v1.limit),
          used: Number(files.v1.usage) - statField(files.v1.stat, 'total_inactive_file'),
        }
      : null;
  if (!cgroup || !(cgroup.limit < UNLIMITED) || cgroup.limit >= total)
    return { availableBytes: machine, totalBytes: total };
  const inCgroup = Math.max(0, cgroup.limit - Math.max(0, cgroup.used));
  return { availableBytes: Math.min(machine, inCgroup), totalBytes: cgroup.limit };
}

const readOr = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** A cgroup's three files, when its limit file exists (the first is the limit). */
function cgroupFiles<K extends string>(dir: string, files: Record<K, string>): Record<K, string> | null {
  const names = Object.entries(files) as [K, string][];
  if (readOr(`${dir}/${names[0]![1]}`) === null) return null;
  return Object.fromEntries(names.map(([key, name]) => [key, readOr(`${dir}/${name}`) ?? ''])) as Record<K, string>;
}

/** This machine's (or container's) reading, now. */
export function readMemory(): MemoryReading {
  const v2 = cgroupFiles('/sys/fs/cgroup', { max: 'memory.max', current: 'memory.current', stat: 'memory.stat' });
  const v1 = v2
    ? null
    : cgroupFiles('/sys/fs/cgroup/memory', {
        limit: 'memory.limit_in_bytes',
        usage: 'memory.usage_in_bytes',
        stat: 'memory.stat',
      });
  return memoryReading({ meminfo: readOr('/proc/meminfo') ?? '', v2, v1 });
}

export interface Admission {
  fits: boolean;
  /** Free for another agent: the memory available less the reserve and what starting agents will take (or what is left of the budget). */
  availableBytes: number;
  /** What one more agent of the kind takes, as learned. */
  needBytes: number;
}

export interface GateOptions {
  read?: () => MemoryReading;
  /** Kept free for the worker and everything else (MB; `--memory-reserve-mb`); unset: 5% of the memory, at least 256. */
  reserveMb?: number;
  /** What this worker's agents may take together, as estimated (MB; `--agent-memory-mb`); unset: no budget. */
  agentMemoryMb?: number;
  now?: () => number;
}

export class MemoryGate {
  private readonly estimates = new Map<string, number>();
  private readonly running = new Map<number, { kind: string; since: number }>();
  private nextToken = 1;
  private lastReading: { at: number; value: MemoryReading } | null = null;
  private readonly read: () => MemoryReading;
  private readonly now: () => number;

  constructor(private readonly options: GateOptions = {}) {
    this.read = options.read ?? readMemory;
    this.now = options.now ?? Date.now;
  }

  estimate(kind: string): number {
    return this.estimates.get(kind) ?? PRIOR_ESTIMATES[kind] ?? OTHER_PRIOR;
  }

  /** The kernel's figure, read at most every READ_EVERY_MS (agents started since are counted as starting). */
  private reading(): MemoryReading {
    const now = this.now();
    if (!this.lastReading || now - this.lastReading.at >= READ_EVERY_MS)
      this.lastReading = { at: now, value: this.read() };
    return this.lastReading.value;
  }

  /** Whether one more agent of `kind` fits now. */
  check(kind: string): Admission {
    const reading = this.reading();
    const reserve =
      this.options.reserveMb !== undefined
        ? this.options.reserveMb * MB
        : Math.max(256 * MB, 0.05 * reading.totalBytes);
    let starting = 0;
    let committed = 0;
    for (const agent of this.running.values()) {
      const size = this.estimate(agent.kind);
      committed += size;
      if (this.now() - agent.since < RAMP_MS) starting += size;
    }
    const machineFree = reading.availableBytes - reserve - starting;
    const budget = this.options.agentMemoryMb;
    const budgetFree = budget === undefined ? Infinity : budget * MB - committed;
    const free = Math.max(0, Math.min(machineFree, budgetFree));
    const needBytes = this.estimate(kind);
    return { fits: this.running.size === 0 || free >= needBytes, availableBytes: free, needBytes };
  }

  /** Start an agent of `kind` if it fits: a token that `ended` gives back, or null (wait). */
  tryStart(kind: string): { token: number | null; admission: Admission } {
    const admission = this.check(kind);
    if (!admission.fits) return { token: null, admission };
    const token = this.nextToken++;
    this.running.set(token, { kind, since: this.now() });
    return { token, admission };
  }

  /** It ended: its peak teaches its kind (up at once, down slowly: a kind's big units come back). */
  ended(token: number, peakBytes: number | null | undefined): void {
    const agent = this.running.get(token);
    this.running.delete(token);
    if (!agent || !peakBytes) return;
    const was = this.estimate(agent.kind);
    this.estimates.set(agent.kind, peakBytes >= was ? peakBytes : 0.9 * was + 0.1 * peakBytes);
  }

  get runningCount(): number {
    return this.running.size;
  }
}
