/**
 * The README and docs/ stay true: every relative link leads to a file that exists, every example
 * they name is one examples.test.ts checks, and every job spec they show builds.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { jobSpecSchema } from '../../src/spec/schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (page: string) => readFileSync(path.join(ROOT, page), 'utf8');

describe('README and docs', () => {
  it('keep the README a landing page', () => {
    expect(text('README.md').split('\n').length).toBeLessThan(150);
  });

  it.each(PAGES)('%s: every relative link leads to a file that exists', (page) => {
    const links = [...text(page).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!);
    const missing = links
      .filter((l) => !/^[a-z]+:/.test(l))
      .filter((l) => !existsSync(path.resolve(ROOT, path.dirname(page), l)));
    expect(missing).toEqual([]);
  });

  it.each(PAGES)('%s: every example it names exists', (page) => {
    const named = [...text(page).matchAll(/examples\/([\w-]+\.(?:yaml|jsonl|csv|json|mjs|sh))/g)].map((m) => m[1]!);
    expect(named.filter((f) => !existsSync(path.join(ROOT, 'examples', f)))).toEqual([]);
  });

  it('every job spec key docs/spec.md shows is one the spec takes', () => {
    const blocks = [...text('docs/spec.md').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const specs = blocks
      .map((b) => YAML.parse(b) as Record<string, unknown> | null)
      .filter((s): s is Record<string, unknown> => !!s && 'source' in s);
    expect(specs.length).toBeGreaterThan(0);
    const known = Object.keys(jobSpecSchema.shape);
    for (const spec of specs) expect(Object.keys(spec).filter((k) => !known.includes(k))).toEqual([]);
  });
});
