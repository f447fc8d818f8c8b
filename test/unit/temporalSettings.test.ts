import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import { UsageError } from '../../src/errors.js';
import { connectionOptionsFor, describeSecurity, loadTemporalSettings } from '../../src/temporal/settings.js';

const noFile = { TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' };

describe('Temporal settings (envconfig)', () => {
  it('with nothing set means our own server: no address, plaintext', () => {
    const settings = loadTemporalSettings(noFile);
    expect(settings).toEqual({ address: null, namespace: null, security: {}, origin: null });
    expect(loadConfig(noFile)).toMatchObject({ temporalAddress: null, namespace: 'default' });
  });

  it('treats an empty variable as unset', () => {
    expect(loadTemporalSettings({ ...noFile, TEMPORAL_ADDRESS: '', TEMPORAL_API_KEY: '' }).address).toBeNull();
  });

  it('turns TLS on with an API key, as Temporal Cloud needs, unless TEMPORAL_TLS=false', () => {
    const withKey = loadTemporalSettings({
      ...noFile,
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_API_KEY: 'k',
    });
    expect(withKey.security).toEqual({ apiKey: 'k', tls: true });
    expect(describeSecurity({ address: 'x', ...withKey.security })).toBe('TLS + API key');
    const plain = loadTemporalSettings({
      ...noFile,
      TEMPORAL_ADDRESS: 'a:1',
      TEMPORAL_API_KEY: 'k',
      TEMPORAL_TLS: 'false',
    });
    expect(plain.security.tls).toBe(false);
    expect(describeSecurity({ address: 'x', ...plain.security })).toBe('plaintext + API key');
  });

  it('reads a profile from temporal.toml, the environment overriding it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'envconfig-'));
    const file = path.join(dir, 'temporal.toml');
    await writeFile(
      file,
      '[profile.prod]\naddress = "prod:7233"\nnamespace = "batch"\n[profile.prod.tls]\nclient_cert_data = "CERT"\nclient_key_data = "KEY"\n',
    );
    const settings = loadTemporalSettings({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(settings.address).toBe('prod:7233');
    expect(settings.origin).toBe(`the prod profile of ${file}`);
    expect(settings.namespace).toBe('batch');
    expect(describeSecurity({ address: 'prod:7233', ...settings.security })).toBe('mTLS');
    const overridden = loadTemporalSettings({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_NAMESPACE: 'other',
    });
    expect(overridden.namespace).toBe('other');
  });

  it('refuses a profile that does not exist as a usage error', () => {
    expect(() => loadTemporalSettings({ ...noFile, TEMPORAL_PROFILE: 'nope' })).toThrow(UsageError);
    expect(() => loadTemporalSettings({ ...noFile, TEMPORAL_PROFILE: 'nope' })).toThrow(
      /Temporal connection settings: .*nope/,
    );
  });

  it('applies the security to the configured server only, not to a stack of our own', () => {
    const settings = loadTemporalSettings({ ...noFile, TEMPORAL_ADDRESS: 'a:1', TEMPORAL_API_KEY: 'k' });
    expect(connectionOptionsFor(settings, 'a:1')).toEqual({ address: 'a:1', apiKey: 'k', tls: true });
    expect(connectionOptionsFor(settings, '127.0.0.1:7233')).toEqual({ address: '127.0.0.1:7233' });
  });
});
