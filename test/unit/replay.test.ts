/**
 * Every recorded workflow history (test/fixtures/histories/RELEASE/*.json, recorded from real
 * jobs by `npm run record-histories`) replays with the workflow code of this build, the bundle
 * workers run. A change under workflows/ that would break a job still running on a release
 * fails here: it must be versioned instead (docs/lifecycle.md, "Upgrading while jobs run").
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { ReplayOutcome } from '../../src/worker/replayHistories.js';
import { ROOT } from '../support/harness.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'histories');
const REPLAY = path.join(ROOT, 'dist', 'src', 'worker', 'replayHistories.js');

const releases = readdirSync(FIXTURES);
const files = releases.flatMap((release) =>
  readdirSync(path.join(FIXTURES, release))
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(FIXTURES, release, f)),
);

describe('recorded workflow histories replay on this build', () => {
  let outcomes: ReplayOutcome[];

  beforeAll(async () => {
    // Its own process: under jest's module registry the SDK's history parser sees two protobufjs.
    const { stdout } = await execa('node', [REPLAY, FIXTURES, '--json'], { reject: false });
    outcomes = JSON.parse(stdout) as ReplayOutcome[];
  }, 120_000);

  it('replayed every fixture', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(outcomes.map((o) => o.file).sort()).toEqual([...files].sort());
  });

  it.each(files.map((f) => [path.relative(FIXTURES, f)]))('%s', (name) => {
    const outcome = outcomes.find((o) => o.file === path.join(FIXTURES, name));
    expect(outcome?.error ?? null).toBeNull();
  });
});
