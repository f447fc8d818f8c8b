/**
 * docker-compose.yml, checked statically (this machine has no Docker engine): nothing published
 * beyond loopback, no built-in password anywhere.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import YAML from 'yaml';

interface Service {
  ports?: string[];
  environment?: Record<string, string | null>;
}
const compose = YAML.parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, Service>;
};
const services = Object.entries(compose.services);

describe('docker-compose.yml', () => {
  it('publishes every port on 127.0.0.1 only', () => {
    const published = services.flatMap(([name, s]) => (s.ports ?? []).map((p) => [name, p]));
    expect(published.length).toBeGreaterThanOrEqual(3);
    for (const [name, port] of published) expect(`${name} ${port}`).toMatch(/ 127\.0\.0\.1:\d+:\d+$/);
  });

  it('takes every password from the environment, refusing to start without it', () => {
    const secrets = services.flatMap(([name, s]) =>
      Object.entries(s.environment ?? {})
        .filter(([key]) => /PASSWORD|PWD/.test(key))
        .map(([key, value]) => [`${name}.${key}`, value]),
    );
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    for (const [where, value] of secrets) expect(`${where}=${value}`).toMatch(/=\$\{[A-Z_]+:\?[^$]*\}$/);
    const url = compose.services.worker!.environment!.DATABASE_URL!;
    expect(url).toMatch(
      /^postgres:\/\/agentic_batch:\$\{AGENTIC_BATCH_DB_PASSWORD:\?[^}]*\}@app-db:5432\/agentic_batch$/,
    );
  });
});
