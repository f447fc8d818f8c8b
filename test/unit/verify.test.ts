import { describe, expect, it } from '@jest/globals';
import { describeCheck, repairPrompt } from '../../activities/verify.js';

const run = (exitCode: number | null, outputTail: string) => ({ exitCode, outputTail, durationMs: 5, at: 'now' });

describe('the verify step', () => {
  it('says how a check ended', () => {
    expect(describeCheck('npm test', run(1, ''))).toBe('the check `npm test` failed (exit 1)');
    expect(describeCheck('npm test', run(null, 'stopped after 30s\n'))).toBe('the check `npm test` did not finish');
  });

  it('asks for a repair with the end of what the check printed, capped', () => {
    expect(repairPrompt('npm test', run(1, 'FAIL a.test\n'))).toBe(
      'the check `npm test` failed (exit 1):\n\nFAIL a.test\n\nFix it, so that the check passes.',
    );
    expect(repairPrompt('make', run(2, ''))).toContain('(it printed nothing)');
    const long = repairPrompt('make', run(2, `${'x'.repeat(5000)}END`));
    expect(long).toContain('END');
    expect(long.length).toBeLessThan(2200);
  });
});
