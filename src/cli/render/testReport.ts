/** What the test units did, shown before the user approves the batch. */
import type { AttemptRow } from '../../client/units.js';
import type { JobStatus } from '../../domain/index.js';
import { duration, excerpt, usd } from './format.js';

/** `attempts`: the newest attempt of each test unit. */
export function testReport(status: JobStatus, attempts: readonly AttemptRow[]): string {
  const byUnit = new Map(attempts.map((a) => [a.unitId, a]));
  const blocks = status.testResults.map((r) => {
    const a = byUnit.get(r.unitId);
    const mark = r.status === 'succeeded' ? '✓' : '✗';
    const facts = [
      r.status,
      usd(r.costUsd),
      a?.durationMs != null ? duration(a.durationMs) : null,
      a?.numTurns != null ? `${a.numTurns} turns` : null,
      `tools: ${a?.toolsUsed.length ? a.toolsUsed.join(', ') : 'none'}`,
    ].filter(Boolean);
    const lines = [`${mark} test unit ${r.unitId}: ${r.key}  (${facts.join(' · ')})`];
    if (r.error) lines.push(`    error: ${r.error}`);
    if (a?.result) lines.push(excerpt(a.result, 15));
    return lines.join('\n');
  });
  const succeeded = status.testResults.filter((r) => r.status === 'succeeded').length;
  blocks.push(`${succeeded} of ${status.testResults.length} test units succeeded (prompt v${status.templateVersion}).`);
  return blocks.join('\n\n');
}
