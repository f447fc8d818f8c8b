/**
 * A first run on a machine without the Temporal CLI and without internet: the stack builds one
 * with Go (the install script's `go install`, reusing this machine's Go caches so it relinks in
 * seconds instead of compiling for minutes), says so while the command waits, and finds it next
 * time. Without Go either, it says exactly what to install.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { CLI } from '../support/harness.js';

/** This machine's Go, and its module and build caches. */
async function goEnv(): Promise<{ bin: string; GOPATH: string; GOCACHE: string; GOMODCACHE: string }> {
  const go = (await execa('sh', ['-c', 'command -v go'])).stdout.trim();
  const [GOPATH, GOCACHE, GOMODCACHE] = (await execa(go, ['env', 'GOPATH', 'GOCACHE', 'GOMODCACHE'])).stdout
    .trim()
    .split('\n') as [string, string, string];
  return { bin: path.dirname(go), GOPATH, GOCACHE, GOMODCACHE };
}

describe('first run without the Temporal CLI', () => {
  let env: Record<string, string> = {};
  const homes: string[] = [];
  const newHome = async (): Promise<string> => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-firstrun-'));
    homes.push(home);
    return home;
  };
  const cli = async (args: string[]) => {
    const r = await execa('node', [CLI, ...args], { env, extendEnv: false, reject: false, stdin: 'ignore' });
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  afterEach(async () => {
    await cli(['down']);
  });
  // The built binary is 250 MB.
  afterAll(() => Promise.all(homes.map((h) => rm(h, { recursive: true, force: true }))));

  it('builds the Temporal CLI with Go, once, saying so', async () => {
    const go = await goEnv();
    const home = await newHome();
    env = {
      HOME: home,
      // Node and Go, and the system's basics: no `temporal` anywhere on this PATH.
      PATH: [path.dirname(process.execPath), go.bin, '/usr/bin', '/bin'].join(path.delimiter),
      GOPATH: go.GOPATH,
      GOCACHE: go.GOCACHE,
      GOMODCACHE: go.GOMODCACHE,
      GOBIN: path.join(home, 'gobin'),
      AGENTIC_BATCH_HOME: path.join(home, 'state'),
      // As if offline: never download a binary.
      AGENTIC_BATCH_NO_DOWNLOAD: '1',
    };
    const first = await cli(['up', '-d']);
    expect(first.stderr).toContain('[stack] temporal: building the Temporal CLI with Go, about 4 minutes, once');
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toMatch(/stack up \(pid \d+\)/);
    await cli(['down']);

    const again = await cli(['up', '-d']);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).not.toContain('building the Temporal CLI');
    expect(again.stderr).toContain(`temporal CLI found: ${path.join(home, 'gobin', 'temporal')}`);
  }, 600_000);

  it('without Go or internet, says what to install', async () => {
    const home = await newHome();
    env = {
      HOME: home,
      PATH: [path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
      AGENTIC_BATCH_HOME: path.join(home, 'state'),
      AGENTIC_BATCH_NO_DOWNLOAD: '1',
    };
    const r = await cli(['up', '-d']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: the stack failed to start: .*Go is not installed to build it/m);
    expect(r.stderr).toContain('install Go');
  });
});
