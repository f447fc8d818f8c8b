import { describe, expect, it } from '@jest/globals';
import { scriptedTemplate } from '../../src/rehearsal/scriptedSynthesis.js';
import { SYNTHESIS_TAG, synthesisPrompt } from '../../src/spec/synthesisPrompt.js';

describe('the synthesis prompt', () => {
  const input = {
    intent: 'Add JSDoc\nto every exported function',
    fields: ['file_path', 'relative_path'],
    samples: [{ key: 'src/a.ts', payload: { file_path: '/r/src/a.ts', relative_path: 'src/a.ts' } }],
  };

  it('gives the intent, the fields and the samples, one line each', () => {
    const prompt = synthesisPrompt(input);
    expect(prompt).toContain(SYNTHESIS_TAG);
    expect(prompt).toContain('\nIntent: Add JSDoc to every exported function\n');
    expect(prompt).toContain('\nFields: file_path, relative_path\n');
    expect(prompt).toContain('\n- key src/a.ts: {"file_path":"/r/src/a.ts","relative_path":"src/a.ts"}');
    expect(prompt).not.toContain('Feedback:');
  });

  it('on a revision, the rejected template, the feedback and the failures', () => {
    const prompt = synthesisPrompt({
      ...input,
      revision: { template: 'Doc {{relative_path}}', feedback: 'Too long', failures: ['src/b.ts: AgentMaxTurns: 10'] },
    });
    expect(prompt).toContain(
      '<<<\nDoc {{relative_path}}\n>>>\nFeedback: Too long\nFailed test units:\n- src/b.ts: AgentMaxTurns: 10',
    );
  });
});

describe("the scripted model's template", () => {
  it('is built from the intent and the fields, and the feedback on a revision', () => {
    expect(scriptedTemplate('Summarize {{x}}')).toBeNull();
    const prompt = synthesisPrompt({ intent: 'Fix it', fields: ['id', 'a.b', 'bad field!'], samples: [] });
    expect(scriptedTemplate(prompt)).toEqual({ template: 'Fix it\n\nWork on {{_key}}:\n- id: {{id}}' });
    const revision = synthesisPrompt({
      intent: 'Fix it',
      fields: [],
      samples: [],
      revision: { template: 'x', feedback: 'Be brief', failures: [] },
    });
    expect(scriptedTemplate(revision)).toEqual({ template: 'Fix it\n\nWork on {{_key}}.\n\nKeep in mind: Be brief' });
  });
});
