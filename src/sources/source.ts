/**
 * A source turns a spec's `source` section into units. Each kind (files now; rows, CSV and JSON
 * records later) plugs in by implementing this and registering in `index.ts`.
 */
import type { NewUnit } from '../store/jobs.js';

export interface EnumerateContext {
  /** Directory relative paths in the spec are resolved against (the spec file's, or the CWD). */
  baseDir: string;
}

export interface UnitSource<Spec> {
  type: string;
  /** Placeholders every unit of this source fills, for validating templates before anything runs. */
  placeholders: readonly string[];
  /** Make relative paths absolute, so the stored spec means the same on any worker. */
  resolve(spec: Spec, ctx: EnumerateContext): Spec;
  /** All units, in a stable order; throws SourceError when there are none or the spec is unusable. */
  enumerate(spec: Spec): Promise<NewUnit[]>;
  /** The directory an agent working on this unit may need (`agent.addDirs: unit`), if any. */
  unitDirectory(payload: Record<string, unknown>): string | null;
  /** One line for humans: "files matching docs/**\/*.md under /repo". */
  describe(spec: Spec): string;
}

export class SourceError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}
