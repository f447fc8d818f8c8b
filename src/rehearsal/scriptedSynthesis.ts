/**
 * The scripted model's answer to the prompt synthesizer (src/spec/synthesisPrompt.ts): a
 * deterministic template from the request's intent and field names, and on a revision the
 * reviewer's feedback, so that synthesis and its revision are tested offline.
 */
import { SYNTHESIS_TAG } from '../spec/synthesisPrompt.js';

const FIELD = /^[A-Za-z_$][\w$-]*$/;

export function scriptedTemplate(prompt: string): { template: string } | null {
  if (!prompt.includes(SYNTHESIS_TAG)) return null;
  const line = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(prompt)?.[1]?.trim() ?? '';
  const fields = line('Fields')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => FIELD.test(f))
    .slice(0, 8);
  const feedback = line('Feedback');
  const template = [
    line('Intent'),
    '',
    `Work on {{_key}}${fields.length ? ':' : '.'}`,
    ...fields.map((f) => `- ${f}: {{${f}}}`),
    ...(feedback ? ['', `Keep in mind: ${feedback}`] : []),
  ].join('\n');
  return { template };
}
