/**
 * What every attempt of a job reads and that never changes once written: the job's spec and
 * each template version. Read once per worker, kept for the 200 most recent jobs.
 */
import type { JobSpec } from '../../src/spec/schema.js';
import { storedSpec } from '../../src/spec/stored.js';
import type { Db } from '../../src/store/db.js';
import { getJob, getTemplate } from '../../src/store/jobs.js';

export class JobData {
  private readonly specs = new BoundedCache<JobSpec>(200);
  private readonly templates = new BoundedCache<string>(200);

  constructor(private readonly db: Db) {}

  async spec(jobId: string): Promise<JobSpec | null> {
    const cached = this.specs.get(jobId);
    if (cached) return cached;
    const job = await getJob(this.db, jobId);
    return this.specs.set(jobId, job ? storedSpec(job) : null);
  }

  async template(jobId: string, version: number): Promise<string | null> {
    const key = `${jobId}@${version}`;
    return this.templates.get(key) ?? this.templates.set(key, await getTemplate(this.db, jobId, version));
  }
}

/** A Map that forgets its oldest entries beyond `limit`. */
class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Stores a found value (null is not cached: it may exist later) and returns it. */
  set(key: string, value: V | null): V | null {
    if (value === null) return null;
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value!);
    return value;
  }
}
