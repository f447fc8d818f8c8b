import { describe, expect, it } from '@jest/globals';
import { decideResponse, openAiError } from '../../src/rehearsal/responsesAnswers.js';
import { parseFaultSpec } from '../../src/rehearsal/scriptedAnswers.js';

const context = {
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/work/dir</cwd>\n</environment_context>' }],
};
const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });

describe('decideResponse', () => {
  it('answers a plain prompt with a deterministic message', () => {
    const d = decideResponse({ model: 'gpt-5.5', input: [context, user('Summarize it')] });
    expect(d.response.item).toEqual({ type: 'message', text: expect.stringContaining('"Summarize it"') });
    expect(d.faultKey).toBe('Summarize it');
    expect(d.fault).toBeUndefined();
    expect(d.response.usage.input_tokens).toBeGreaterThan(0);
  });

  it('writes the named file with apply_patch, then says it wrote it (resolved against the cwd)', () => {
    const prompt = 'Write a summary to the file out/a.txt';
    const first = decideResponse({ input: [context, user(prompt)] });
    expect(first.response.item).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch' });
    expect((first.response.item as { input: string }).input).toBe(
      '*** Begin Patch\n*** Add File: out/a.txt\n+Scripted output for: Write a summary to the file out/a.txt\n*** End Patch\n',
    );
    const done = decideResponse({
      input: [
        context,
        user(prompt),
        { type: 'custom_tool_call' },
        { type: 'custom_tool_call_output', output: 'Success. Updated' },
      ],
    });
    expect(done.response.item).toEqual({ type: 'message', text: 'Scripted answer: wrote /work/dir/out/a.txt' });
    const failed = decideResponse({
      input: [context, user(prompt), { type: 'custom_tool_call_output', output: 'patch rejected' }],
    });
    expect(failed.response.item).toEqual({
      type: 'message',
      text: 'Scripted answer: could not write /work/dir/out/a.txt',
    });
  });

  it('takes the fault marker of the prompt', () => {
    expect(decideResponse({ input: [context, user('[[fault:429x2]] go')] }).fault).toEqual(parseFaultSpec('429x2'));
  });

  it('never throws on odd bodies', () => {
    expect(decideResponse(null).response.item.type).toBe('message');
    expect(decideResponse({ input: 'nope' }).faultKey).toBe('');
  });
});

describe('openAiError', () => {
  it('words each fault as the OpenAI API would', () => {
    const err = (spec: string) => openAiError(parseFaultSpec(spec, 'gpt-x')!.fault as never, 'gpt-x');
    expect(err('401')).toMatchObject({ status: 401, body: { error: { code: 'invalid_api_key' } } });
    expect(err('429')).toMatchObject({ status: 429, body: { error: { code: 'rate_limit_exceeded' } } });
    expect(err('529')).toMatchObject({ status: 503, body: { error: { code: 'server_is_overloaded' } } });
    expect(err('404-model')).toMatchObject({ status: 404, body: { error: { code: 'model_not_found' } } });
    expect(err('500')).toMatchObject({ status: 500 });
  });
});
