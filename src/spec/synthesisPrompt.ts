/**
 * What the prompt synthesizer asks the agent: write a job's prompt template from an intent, the
 * source's field names and three sample records; or revise one from the reviewer's feedback and
 * the failed test units. The answer is structured output `{template}`.
 */

/** Marks the request, for people reading conversations and for the scripted API's model. */
export const SYNTHESIS_TAG = '(agentic-batch prompt synthesis)';

export const SYNTHESIS_SCHEMA = {
  type: 'object',
  properties: { template: { type: 'string', description: 'the prompt template, with {{field}} placeholders' } },
  required: ['template'],
  additionalProperties: false,
};

export interface SynthesisInput {
  intent: string;
  fields: readonly string[];
  samples: readonly { key: string; payload: unknown }[];
  /** A revision: the template the reviewer rejected, why, and how the test units failed. */
  revision?: { template: string; feedback: string; failures: readonly string[] };
}

/** Sample records are cut to this many characters each: the shape matters, not the text. */
const SAMPLE_CHARS = 600;

export function synthesisPrompt(input: SynthesisInput): string {
  const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
  const lines = [
    `You write the prompt template for a batch of agent runs ${SYNTHESIS_TAG}.`,
    'One agent run happens per record; the template is rendered for each record: {{field}} becomes the',
    "record's value ({{a.b}} a nested one); {{_key}} is the record's key, {{_index}} its number, {{_json}} all of it.",
    'Write a clear, specific instruction for one record that achieves the intent. Use only the fields listed.',
    'Answer with the template alone, as {"template": "…"}.',
    '',
    `Intent: ${oneLine(input.intent)}`,
    `Fields: ${input.fields.join(', ')}`,
    'Sample records:',
    ...input.samples.map((s) => `- key ${s.key}: ${JSON.stringify(s.payload).slice(0, SAMPLE_CHARS)}`),
  ];
  if (input.revision) {
    lines.push(
      '',
      'The reviewer rejected this template after its test units ran:',
      '<<<',
      input.revision.template,
      '>>>',
      `Feedback: ${oneLine(input.revision.feedback)}`,
      ...(input.revision.failures.length
        ? ['Failed test units:', ...input.revision.failures.map((f) => `- ${oneLine(f)}`)]
        : []),
      'Write the revised template.',
    );
  }
  return lines.join('\n');
}
