/**
 * Why a connection to Temporal failed, found by a TLS (or TCP) handshake of our own: gRPC says
 * only "Failed to connect before the deadline" for a refused port, a missing client certificate,
 * an unknown CA and plaintext to a TLS port alike. Runs only after a failure.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { NativeConnectionOptions } from '@temporalio/worker';

/** Long enough for a TLS 1.3 server's verdict on our certificate, which follows the handshake. */
const VERDICT_MS = 500;
const PROBE_TIMEOUT_MS = 3000;

export type Diagnosis =
  | { kind: 'unreachable'; detail: string }
  | { kind: 'tls'; detail: string }
  | { kind: 'speaks-tls' }
  | { kind: 'tls-ok' }
  | { kind: 'unknown' };

export async function diagnose(options: NativeConnectionOptions): Promise<Diagnosis> {
  try {
    return await handshake(options);
  } catch {
    return { kind: 'unknown' }; // the diagnosis must never be the failure
  }
}

async function handshake(options: NativeConnectionOptions): Promise<Diagnosis> {
  const { host, port } = hostPort(options.address ?? 'localhost:7233');
  if (!options.tls) {
    const tcp = await probe(() => net.connect(port, host));
    if (tcp.error) return { kind: 'unreachable', detail: tcp.error };
    const handshake = await probe(() =>
      tls.connect({ host, port, servername: sni(host), rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {}),
    );
    return handshake.secure ? { kind: 'speaks-tls' } : { kind: 'unknown' };
  }
  const config = options.tls === true ? {} : options.tls;
  const result = await probe(() =>
    tls.connect({
      host,
      port,
      servername: config.serverNameOverride ?? sni(host),
      ca: config.serverRootCACertificate ? Buffer.from(config.serverRootCACertificate) : undefined,
      cert: config.clientCertPair ? Buffer.from(config.clientCertPair.crt) : undefined,
      key: config.clientCertPair ? Buffer.from(config.clientCertPair.key) : undefined,
      ALPNProtocols: ['h2'],
    }),
  );
  if (result.error) return { kind: result.secure || result.connected ? 'tls' : 'unreachable', detail: result.error };
  return result.secure ? { kind: 'tls-ok' } : { kind: 'unknown' };
}

interface ProbeResult {
  connected: boolean;
  secure: boolean;
  error: string | null;
}

function probe(open: () => net.Socket): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const result: ProbeResult = { connected: false, secure: false, error: null };
    const socket = open();
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      result.error ??= result.connected ? null : `no answer within ${PROBE_TIMEOUT_MS} ms`;
      finish();
    }, PROBE_TIMEOUT_MS);
    socket.once('connect', () => {
      result.connected = true;
      if (!(socket instanceof tls.TLSSocket)) finish();
    });
    socket.once('secureConnect', () => {
      result.secure = true;
      setTimeout(finish, VERDICT_MS);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      result.error = err.code === 'ECONNREFUSED' ? 'connection refused' : inWords(err.message);
      finish();
    });
  });
}

/** OpenSSL's "…:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:…" in words. */
function inWords(message: string): string {
  if (/alert certificate required/.test(message)) return 'the server requires a client certificate and none was sent';
  if (/alert (unknown ca|bad certificate|certificate unknown)/.test(message)) {
    return 'the server refused the client certificate (not signed by a CA it trusts)';
  }
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1];
  return (reason ?? message).trim();
}

/** `host:port`, `[v6]:port`, or a host alone (the SDKs then use 7233). */
function hostPort(address: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(address);
  if (!m) return { host: address, port: 7233 };
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : 7233 };
}

/** SNI takes names only: Node warns (DEP0123) on an IP address. */
function sni(host: string): string | undefined {
  return net.isIP(host) ? undefined : host;
}
