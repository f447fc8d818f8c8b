/**
 * Agents admitted by memory, on real parts: a worker whose agents may take 1,000 MB together
 * (`--agent-memory-mb`), and agents that each hold 300 MB (a Buffer filled, so it is resident)
 * for 1.5 s. The worker learns their size from the first one's process group and from then on
 * runs no more than fit, though the job allows 6; `status` says units are held by memory.
 * Without the gate all 6 ran at once.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { makeDocs, useHarness, writeSpec, type StatusJson } from '../support/harness.js';

const h = useHarness();
const HOLD_MB = 300;
const UNITS = 12;

/** The most agents alive at once at any agent's start from `from` on. */
function maxOverlap(intervals: [number, number][], from: number): number {
  const alive = (t: number) => intervals.filter(([s, e]) => s <= t && t < e).length;
  return Math.max(
    0,
    ...intervals
      .map(([s]) => s)
      .filter((s) => s >= from)
      .map(alive),
  );
}

describe('agents admitted by memory', () => {
  it('runs no more agents than the worker’s memory holds, once it has learned their size', async () => {
    await h.startWorker({ AGENTIC_BATCH_AGENT_MEMORY_MB: '1000' });
    const dir = await makeDocs(UNITS);
    const log = path.join(dir, 'agents.log');
    const program = [
      "const fs = require('node:fs');",
      `fs.appendFileSync(${JSON.stringify(log)}, 'start ' + Date.now() + '\\n');`,
      `const held = Buffer.alloc(${HOLD_MB} * 1024 * 1024, 1);`,
      `setTimeout(() => { fs.appendFileSync(${JSON.stringify(log)}, 'end ' + Date.now() + ' ' + held.length + '\\n'); }, 1500);`,
    ].join(' ');
    const spec = await writeSpec(dir, {
      name: 'memory',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'x',
      testUnits: 0,
      concurrency: 6,
      agent: { type: 'command', command: [process.execPath, '-e', program] },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', spec], { cwd: dir });
    const seen: string[] = [];
    let last: StatusJson & { memory?: { text: string } | null };
    do {
      last = await h.cliJson(['status', jobId]);
      if (last.memory) seen.push(last.memory.text);
    } while (!['COMPLETED', 'FAILED'].includes(last.status));
    expect(last).toMatchObject({ status: 'COMPLETED', counts: { succeeded: UNITS } });

    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    const starts = lines.filter((l) => l.startsWith('start')).map((l) => Number(l.split(' ')[1]));
    const ends = lines.filter((l) => l.startsWith('end')).map((l) => Number(l.split(' ')[1]));
    expect(starts).toHaveLength(UNITS);
    // Pair each start with the end 1.5 s later (the agents all take the same time).
    const intervals = starts
      .sort((a, b) => a - b)
      .map((s, i) => [s, ends.sort((a, b) => a - b)[i]!] as [number, number]);
    const firstEnd = Math.min(...ends);
    // ~345 MB each (300 held + node): two fit in 1,000 MB, a third only by the learning's rounding.
    expect(maxOverlap(intervals, firstEnd + 1000)).toBeLessThanOrEqual(3);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toMatch(
      /^held by worker memory: \d+ units? waits? \(\d+ MB free, 3\d\d MB needed for one more agent\)$/,
    );
  }, 180_000);
});
