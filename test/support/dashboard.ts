/** `agentic-batch dashboard` for a test file: started on a free port, its address and token read from `--json`. */
import { execa, type ResultPromise } from 'execa';
import { CLI, type Harness } from './harness.js';

export interface TestDashboard {
  /** http://127.0.0.1:PORT */
  base: string;
  token: string;
  /** The address it printed, with the token. */
  url: string;
  stop(): Promise<void>;
}

export async function startDashboard(
  h: Harness,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<TestDashboard> {
  const server: ResultPromise = execa('node', [CLI, 'dashboard', '--port', '0', '--json', ...args], {
    env: h.env(env),
    stdin: 'ignore',
    reject: false,
  });
  const first = await new Promise<string>((resolve, reject) => {
    server.stdout!.once('data', (chunk: Buffer) => resolve(String(chunk)));
    void server.then((r) => reject(new Error(`the dashboard exited ${r.exitCode}: ${String(r.stderr)}`)));
  });
  const started = JSON.parse(first) as { url: string; port: number; token: string };
  return {
    base: `http://127.0.0.1:${started.port}`,
    token: started.token,
    url: started.url,
    stop: async () => {
      server.kill('SIGTERM');
      await server;
    },
  };
}
