/**
 * Replays recorded workflow histories with this build's workflow bundle: what a worker of this
 * build would do with a job that a worker of the release recorded there started. Run by the
 * replay test (`npm test`) as its own process — under jest's module registry the SDK's history
 * parser sees two copies of protobufjs — and by hand:
 *
 *   node dist/src/worker/replayHistories.js FILE_OR_DIR… [--json]
 *
 * A fixture is `{workflowId, history}`, the history as the Temporal CLI's `workflow show
 * --output json` prints it. Exit 1 when any fails to replay.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker, type ReplayResult } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH } from './paths.js';

export interface ReplayOutcome {
  file: string;
  workflowId: string;
  /** Why it did not replay (a nondeterminism error names the command that differs), or null. */
  error: string | null;
}

/** The fixture files under each path (a directory's `.json` files, recursively). */
export function fixtureFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? fixtureFiles(
          readdirSync(p)
            .sort()
            .map((f) => path.join(p, f))
            .filter((f) => statSync(f).isDirectory() || f.endsWith('.json')),
        )
      : [p],
  );
}

export async function replayFiles(files: readonly string[]): Promise<ReplayOutcome[]> {
  const byId = new Map<string, string>();
  const histories = files.map((file) => {
    const { workflowId, history } = JSON.parse(readFileSync(file, 'utf8')) as { workflowId: string; history: unknown };
    // Replays are told apart by workflow id: make each file's its own.
    const id = `${workflowId}@${path.basename(file)}`;
    byId.set(id, file);
    return { workflowId: id, history };
  });
  const outcomes: ReplayOutcome[] = [];
  const results: AsyncIterable<ReplayResult> = Worker.runReplayHistories(
    { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } },
    histories,
  );
  for await (const result of results) {
    outcomes.push({
      file: byId.get(result.workflowId) ?? result.workflowId,
      workflowId: result.workflowId.replace(/@[^@]*$/, ''),
      error: result.error ? String(result.error.message ?? result.error) : null,
    });
  }
  return outcomes;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const paths = args.filter((a) => a !== '--json');
  if (paths.length === 0) {
    console.error('usage: node dist/src/worker/replayHistories.js FILE_OR_DIR… [--json]');
    process.exit(2);
  }
  // The core logs each failing workflow task as a warning: the outcome says it once.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
  const outcomes = await replayFiles(fixtureFiles(paths));
  if (json) console.log(JSON.stringify(outcomes));
  else for (const o of outcomes) console.log(`${o.error ? 'FAIL' : 'ok  '} ${o.file}${o.error ? `: ${o.error}` : ''}`);
  process.exit(outcomes.some((o) => o.error) ? 1 : 0);
}
