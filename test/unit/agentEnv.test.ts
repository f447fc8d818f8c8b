import { describe, expect, it } from '@jest/globals';
import { agentBaseEnv, attemptEnv, refusedPassEnv, withheldByDefault } from '../../src/agents/agentEnv.js';

describe('agent environment', () => {
  it.each([
    'DATABASE_URL',
    'SOURCE_DATABASE_URL',
    'TEMPORAL_API_KEY',
    'TEMPORAL_TLS_CLIENT_KEY_PATH',
    'TEMPORAL_GRPC_META_AUTHORIZATION',
    'AGENTIC_BATCH_HOME',
    'PGPASSWORD',
    'WEBHOOK_SECRET',
    'GITHUB_TOKEN',
    'NPM_TOKEN',
    'SENTRY_DSN',
    'STRIPE_KEY',
    'DB_PASSWORD',
  ])('withholds %s by default', (name) => expect(withheldByDefault(name)).toBe(true));

  it.each([
    'PATH',
    'HOME',
    'LANG',
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_BASE_URL',
    'CLAUDE_CODE_OAUTH_TOKEN',
    'OPENAI_API_KEY',
    'CODEX_API_KEY',
    'AWS_SECRET_ACCESS_KEY',
    'SSH_AUTH_SOCK',
    'NODE_OPTIONS',
  ])('passes %s', (name) => expect(withheldByDefault(name)).toBe(false));

  it('builds the base from the worker’s environment', () => {
    expect(agentBaseEnv({ PATH: '/bin', DATABASE_URL: 'postgres://x', UNSET: undefined })).toEqual({ PATH: '/bin' });
  });

  it('adds what passEnv names and env sets, and removes the job’s own secrets unless passed', () => {
    const worker = { GITHUB_TOKEN: 'g', HOOK: 'h', WAREHOUSE: 'w', DATABASE_URL: 'd' };
    const env = attemptEnv(
      { env: { A: '1' }, passEnv: ['GITHUB_TOKEN', 'WAREHOUSE', 'DATABASE_URL'] },
      ['HOOK', 'WAREHOUSE'],
      worker,
    );
    expect(env).toEqual({ env: { GITHUB_TOKEN: 'g', WAREHOUSE: 'w', A: '1' }, unset: ['HOOK'] });
  });

  it('refuses to pass the engine’s own variables', () => {
    expect(refusedPassEnv('TEMPORAL_API_KEY')).toMatch(/engine's own/);
    expect(refusedPassEnv('PGPASSWORD')).toBeNull();
  });
});
