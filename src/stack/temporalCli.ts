/**
 * A Temporal dev server for the embedded stack, wherever the Temporal CLI has to come from: one
 * already installed (TEMPORAL_CLI_PATH, PATH, ~/go/bin), else the SDK's download, else (offline)
 * one built with Go by scripts/install-temporal-cli.sh, once: `go install` caches it in Go's bin
 * directory, where the next start finds it. With neither Go nor internet it says what to install.
 */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import {
  findTemporalCli,
  startDownloadedDevServer,
  startTemporalDevServer,
  type DevServer,
  type DevServerOptions,
} from './temporalServer.js';

const INSTALL_SCRIPT = fileURLToPath(new URL('../../../scripts/install-temporal-cli.sh', import.meta.url));

export async function startEmbeddedTemporal(
  cli: { explicit: string | null; download: boolean },
  options: Omit<DevServerOptions, 'cliPath'>,
  log: (line: string) => void,
): Promise<DevServer> {
  const found = await findTemporalCli(cli.explicit);
  if (found) return startTemporalDevServer({ ...options, cliPath: found });

  if (cli.download) {
    log('temporal: no Temporal CLI found (TEMPORAL_CLI_PATH, PATH, ~/go/bin); downloading one');
    try {
      return await startDownloadedDevServer(options);
    } catch (err) {
      // The innermost cause is the useful part ("failed to lookup address information: …").
      const cause = String(err).split('\n')[0]!.split(': ').slice(-2).join(': ');
      log(`temporal: the download failed (${cause})`);
    }
  } else {
    log('temporal: no Temporal CLI found, and AGENTIC_BATCH_NO_DOWNLOAD forbids downloading one');
  }
  return startTemporalDevServer({ ...options, cliPath: await buildWithGo(log) });
}

async function buildWithGo(log: (line: string) => void): Promise<string> {
  const go = await execa('go', ['version'], { reject: false });
  if (go.exitCode !== 0) {
    throw new UserError(
      'the Temporal CLI is not installed, could not be downloaded, and Go is not installed to build it',
      'install Go (https://go.dev/dl/, or `apt-get install golang`) and run again; or install the Temporal CLI ' +
        '(`brew install temporal`, or a release from https://github.com/temporalio/cli/releases) and set TEMPORAL_CLI_PATH; ' +
        'or set TEMPORAL_ADDRESS to a running Temporal server',
    );
  }
  const script = execa('bash', [INSTALL_SCRIPT], { reject: false, stdin: 'ignore', stderr: 'pipe', stdout: 'pipe' });
  // The script says what it does on stderr; Go's own "downloading" lines stay out of the way.
  script.stderr?.setEncoding('utf8');
  let tail = '';
  script.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-2000);
    for (const line of chunk.split('\n'))
      if (line.trim() && !line.startsWith('go: downloading')) log(`temporal: ${line.trim()}`);
  });
  const result = await script;
  const path = String(result.stdout).trim().split('\n').pop();
  if (result.exitCode !== 0 || !path) {
    throw new UserError(
      `building the Temporal CLI with Go failed: ${tail.trim().split('\n').slice(-2).join(' | ')}`,
      'run `bash scripts/install-temporal-cli.sh` to see why, or set TEMPORAL_CLI_PATH / TEMPORAL_ADDRESS',
    );
  }
  return path;
}
