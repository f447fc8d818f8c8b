/** Every example spec stays valid: it parses, its source reads, and its records fit its prompt. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { prepareJob } from '../../src/client/createJob.js';
import { sourceKind, unitsOf } from '../../src/sources/index.js';
import { buildSpec, readSpecFile } from '../../src/spec/loadSpec.js';
import { buildPipeline, isPipeline } from '../../src/spec/pipeline.js';
import { missingPlaceholder, placeholdersIn } from '../../src/spec/template.js';

const DIR = fileURLToPath(new URL('../../examples/', import.meta.url));
const SPECS = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

describe('examples', () => {
  it('has one for every kind of source a machine without a database can read', () => {
    expect(SPECS.length).toBeGreaterThanOrEqual(7);
  });

  it.each(SPECS)('%s is valid and its units fit its prompt', async (name) => {
    const file = path.join(DIR, name);
    const { raw, baseDir } = await readSpecFile(file);
    // A pipeline: every stage is checked by buildPipeline; the first stage's units are read here.
    const spec = isPipeline(raw) ? buildPipeline(raw, baseDir, file).stages[0]!.spec : buildSpec(raw, baseDir, file);
    await prepareJob(spec);
    const kind = sourceKind(spec.source);
    const names = placeholdersIn(spec.prompt);
    let count = 0;
    for await (const unit of unitsOf(kind, spec.source, {})) {
      expect(missingPlaceholder(names, unit.payload)).toBeNull();
      count += 1;
    }
    expect(count).toBeGreaterThan(0);
  });
});
