/**
 * Messages between a worker and its agent spawner (spawnHelper.ts), over Node's IPC channel.
 * Each side sends what a turn of its event loop produced as one `batch`: an IPC message is a
 * system call each way, and most units' whole lives (spawned, two bursts of output, exit) fit in
 * a few turns. (Measured at 1000 units × 100 ms × 16: a message per event was ~0.7 ms of the
 * worker's CPU per unit.)
 */

export type SpawnerRequest =
  | {
      op: 'spawn';
      id: number;
      file: string;
      args: string[];
      cwd: string;
      /** Added to the environment the spawner was started with (agentEnv.ts: the worker's, minus secrets). */
      env: Record<string, string>;
      /** Removed from it first (a job's own secret variables). */
      unset: string[];
      /** Written to stdin, which is then closed; null: no stdin at all. */
      stdin: string | null;
    }
  /** Flow control: stop reading the agent's stdout or stderr while the worker catches up. */
  | { op: 'pause' | 'resume'; id: number; stream: 'out' | 'err' };

export type SpawnerReply =
  | { op: 'spawned'; id: number; pid: number }
  | { op: 'out' | 'err'; id: number; data: string }
  | {
      op: 'exit';
      id: number;
      exitCode: number | null;
      signal: NodeJS.Signals | null;
      spawnError: { code?: string; message: string } | null;
      /** The peak memory of its process group, when it ran long enough to be sampled (groupMemory.ts). */
      peakRssBytes: number | null;
    };

/** What travels: a turn's messages, in order. */
export interface Batch<M> {
  op: 'batch';
  messages: M[];
}

/**
 * Collects messages and sends them as one batch at the end of the event loop's turn. A message
 * that can wait (`later`) goes with the next one that cannot, or after `laterMs`: an agent's
 * `spawned` and its output then travel with its exit, one message where there were three.
 */
export class Batcher<M> {
  private messages: M[] = [];
  private now = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (batch: Batch<M>) => void,
    private readonly laterMs = 5,
  ) {}

  push(message: M): void {
    if (!this.now) setImmediate(() => this.flush());
    this.now = true;
    this.messages.push(message);
  }

  /** Sends `message` with the next one pushed, or within `laterMs`. */
  later(message: M): void {
    this.messages.push(message);
    this.timer ??= setTimeout(() => this.flush(), this.laterMs);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.now = false;
    const messages = this.messages;
    this.messages = [];
    if (messages.length > 0) this.send({ op: 'batch', messages });
  }
}
