/**
 * Where and how to reach Temporal, read with Temporal's own environment configuration
 * (`@temporalio/envconfig`): the TEMPORAL_* variables and the temporal.toml profiles the Temporal
 * CLI uses, so one setting serves the CLI, the worker, the dashboard and MCP alike.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { UsageError } from '../errors.js';

/** TLS, API key and headers: what the connection needs beyond the address. Never printed. */
export type TemporalSecurity = Omit<NativeConnectionOptions, 'address'>;

export interface TemporalSettings {
  /** Set (by TEMPORAL_ADDRESS or the profile): use this server and start none. */
  address: string | null;
  namespace: string | null;
  security: TemporalSecurity;
  /** Where the address came from, for messages: `TEMPORAL_ADDRESS`, or a profile of a temporal.toml. */
  origin: string | null;
}

const SETTINGS_HINT =
  'check TEMPORAL_ADDRESS, TEMPORAL_PROFILE, TEMPORAL_API_KEY and TEMPORAL_TLS_* (or the profile in ~/.config/temporalio/temporal.toml); see docs/deployment.md';

export function loadTemporalSettings(env: NodeJS.ProcessEnv): TemporalSettings {
  let loaded;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: setOnly(env) });
  } catch (err) {
    throw new UsageError(`Temporal connection settings: ${(err as Error).message}`, SETTINGS_HINT);
  }
  const { address, ...security } = loaded.connectionOptions;
  const origin = !address
    ? null
    : env.TEMPORAL_ADDRESS
      ? 'TEMPORAL_ADDRESS'
      : `the ${env.TEMPORAL_PROFILE || 'default'} profile of ${env.TEMPORAL_CONFIG_FILE || '~/.config/temporalio/temporal.toml'}`;
  return { address: address ?? null, namespace: loaded.namespace ?? null, security: withoutUnset(security), origin };
}

/** The options for `address`: the configured security for the configured server, none for ours. */
export function connectionOptionsFor(settings: TemporalSettings, address: string): NativeConnectionOptions {
  return settings.address === address ? { address, ...settings.security } : { address };
}

/** How the connection is secured, in words for logs and errors (never the material itself). */
export function describeSecurity(options: NativeConnectionOptions): string {
  const tls = options.tls;
  const parts = [
    !tls ? 'plaintext' : typeof tls === 'object' && tls.clientCertPair ? 'mTLS' : 'TLS',
    options.apiKey ? 'API key' : null,
  ];
  return parts.filter(Boolean).join(' + ');
}

/** An empty variable counts as unset (`TEMPORAL_ADDRESS= cmd`), except a header's, which clears it. */
function setOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] => e[1] !== undefined && (e[1] !== '' || e[0].startsWith('TEMPORAL_GRPC_META_')),
    ),
  );
}

function withoutUnset(security: TemporalSecurity): TemporalSecurity {
  return Object.fromEntries(Object.entries(security).filter(([, v]) => v !== undefined)) as TemporalSecurity;
}
