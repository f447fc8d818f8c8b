/** Messages between a worker and its agent spawner (spawnHelper.ts), over Node's IPC channel. */

export type SpawnerRequest =
  | {
      op: 'spawn';
      id: number;
      file: string;
      args: string[];
      cwd: string;
      /** Added to the worker's own environment, which the spawner inherited. */
      env: Record<string, string>;
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
    };
