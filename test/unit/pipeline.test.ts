import { describe, expect, it } from '@jest/globals';
import { UsageError } from '../../src/errors.js';
import { buildPipeline } from '../../src/spec/pipeline.js';

const files = { type: 'files', glob: 'docs/*.md' };
const stage = (name: string, more: Record<string, unknown> = {}) => ({
  name,
  source: files,
  prompt: 'Do {{relative_path}}',
  ...more,
});
const fromStage = (name: string, from: string, prompt: string, more: Record<string, unknown> = {}) =>
  stage(name, { needs: [from], source: { type: 'stage', from }, prompt, ...more });

function problem(stages: unknown[]): UsageError {
  try {
    buildPipeline({ name: 'p', stages }, '/base', 'p.yaml');
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('buildPipeline', () => {
  it('orders stages after their needs and keeps what each says', () => {
    const spec = buildPipeline(
      {
        name: 'docs',
        stages: [
          fromStage('review', 'summarize', 'Review {{output.summary}} of {{relative_path}}: {{result}}'),
          stage('summarize', {
            output: { schema: { type: 'object', properties: { summary: { type: 'string' } } } },
            continueOnFailure: true,
          }),
        ],
      },
      '/base',
      'p.yaml',
    );
    expect(spec.stages.map((s) => [s.name, s.needs, s.continueOnFailure])).toEqual([
      ['summarize', [], true],
      ['review', ['summarize'], false],
    ]);
    expect(spec.stages[1]!.spec.source).toEqual({ type: 'stage', from: 'summarize', status: 'succeeded' });
  });

  it('refuses an unknown stage, a cycle, a source not among the needs, and duplicate names', () => {
    expect(problem([stage('a', { needs: ['nope'] })]).message).toBe(
      'p.yaml: stage a needs nope, which is not a stage of this pipeline',
    );
    expect(
      problem([stage('a', { needs: ['c'] }), stage('b', { needs: ['a'] }), stage('c', { needs: ['b'] })]).message,
    ).toBe('p.yaml: stage a is in a cycle: a → c → b → a');
    expect(problem([stage('a'), stage('b', { source: { type: 'stage', from: 'a' } })]).message).toBe(
      'p.yaml: stage b takes its units from stage a, which is not in its needs',
    );
    expect(problem([stage('a'), stage('a')]).message).toBe('p.yaml: two stages are named a');
    expect(problem([{ source: files, prompt: 'x' }]).message).toBe('p.yaml: stage 1 has no name');
  });

  it('refuses a template field no upstream stage provides, naming the stage', () => {
    const err = problem([stage('a'), fromStage('b', 'a', 'Use {{output.summary}}')]);
    expect(err.message).toBe(
      'p.yaml, stage b: unknown placeholder {{output.summary}} in the prompt, which no upstream stage provides',
    );
    expect(err.hint).toContain('{{result}}');
    expect(err.hint).toContain('{{relative_path}}');
  });

  it('checks each stage as a job spec, naming the stage', () => {
    expect(problem([stage('a', { concurrency: 0 })]).message).toMatch(
      /^invalid job spec \(p\.yaml, stage a\): concurrency/,
    );
  });
});
