/**
 * A real TLS terminator in front of a Temporal dev server: Debian's haproxy, with certificates
 * made by openssl for the test. gRPC clients require ALPN h2, so every TLS bind says `alpn h2`
 * (without it the Temporal CLI fails "missing selected ALPN property" and the worker's core
 * "H2NotNegotiated"); the backend is the dev server's plaintext HTTP/2.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { canListen, freePort } from '../../src/stack/ports.js';
import { waitFor } from './harness.js';

// Debian installs it in /usr/sbin, which is not on every user's PATH.
const HAPROXY = existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';

export interface Certificates {
  ca: string;
  /** The server's certificate and key in one file, as haproxy's `crt` takes it. */
  serverPem: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA: presented, and refused. */
  strangerCert: string;
  strangerKey: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await execa('openssl', args, { cwd: dir, stdin: 'ignore' });
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    'req', '-x509', '-new', '-nodes', '-newkey', 'rsa:2048', '-sha256', '-days', '30',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=${name} test CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
}

async function makeLeaf(dir: string, name: string, ca: string, ext: string): Promise<void> {
  await writeFile(path.join(dir, `${name}.ext`), `basicConstraints=critical,CA:FALSE\n${ext}\n`);
  await openssl(dir, [
    'req', '-new', '-nodes', '-newkey', 'rsa:2048', '-keyout', `${name}.key`, '-out', `${name}.csr`,
    '-subj', `/CN=${name}`,
  ]); // prettier-ignore
  await openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.crt`, '-days', '30', '-sha256', '-extfile', `${name}.ext`,
  ]); // prettier-ignore
}

export async function makeCertificates(dir: string): Promise<Certificates> {
  await makeCa(dir, 'ca');
  await makeCa(dir, 'other-ca');
  await makeLeaf(dir, 'server', 'ca', 'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1');
  await makeLeaf(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth');
  await makeLeaf(dir, 'stranger', 'other-ca', 'extendedKeyUsage=clientAuth');
  await execa('sh', ['-c', 'cat server.crt server.key > server.pem'], { cwd: dir });
  const at = (f: string) => path.join(dir, f);
  return {
    ca: at('ca.pem'),
    serverPem: at('server.pem'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    strangerCert: at('stranger.crt'),
    strangerKey: at('stranger.key'),
  };
}

export interface TerminatorPorts {
  /** mTLS, layer 4: the decrypted bytes go to the dev server unchanged. */
  mtls: number;
  /** mTLS, layer 7: logs whether each request carried `authorization` and its scheme (never the value). */
  mtlsHttp: number;
  /** The same as mtlsHttp, except that it refuses the operator API as Temporal Cloud does. */
  cloudLike: number;
  /** cloudLike in front of a server that lacks the engine's search attribute. */
  cloudLikeBare: number;
}

export interface Backends {
  /** The dev server, as host:port. */
  temporal: string;
  /** A dev server without the engine's search attribute. */
  bare: string;
}

/** The four Temporal frontends (see TerminatorPorts) and their backends. */
export async function temporalTerminator(
  certs: Certificates,
  backends: Backends,
): Promise<{ config: string; ports: TerminatorPorts }> {
  const ports = {
    mtls: await freePort(),
    mtlsHttp: await freePort(),
    cloudLike: await freePort(),
    cloudLikeBare: await freePort(),
  };
  const bind = (port: number) =>
    `bind 127.0.0.1:${port} ssl crt ${certs.serverPem} ca-file ${certs.ca} verify required alpn h2`;
  const observe = [
    'http-request set-var(txn.authz_n) req.hdr_cnt(authorization)',
    "http-request set-var(txn.authz_scheme) req.hdr(authorization),word(1,' ') if { req.hdr(authorization) -m found }",
    'log-format "request %HP authz_count=%[var(txn.authz_n)] authz_scheme=%[var(txn.authz_scheme)]"',
  ];
  const httpFrontend = (name: string, port: number, backend: string, extra: string[] = []) => [
    `frontend ${name}`,
    '  mode http',
    `  ${bind(port)}`,
    ...[...observe, ...extra].map((l) => `  ${l}`),
    `  default_backend ${backend}`,
  ];
  // Temporal Cloud refuses the operator API to a namespace's API key.
  const refuseOperator =
    'http-request return status 200 content-type application/grpc hdr grpc-status 7 hdr grpc-message "Request%%20unauthorized." if { path_beg /temporal.api.operatorservice.v1.OperatorService/ }';
  const config = [
    'frontend mtls_tcp',
    '  mode tcp',
    `  ${bind(ports.mtls)}`,
    '  default_backend temporal_tcp',
    ...httpFrontend('mtls_http', ports.mtlsHttp, 'temporal_h2c'),
    ...httpFrontend('cloud_like', ports.cloudLike, 'temporal_h2c', [refuseOperator]),
    ...httpFrontend('cloud_like_bare', ports.cloudLikeBare, 'bare_h2c', [refuseOperator]),
    'backend temporal_tcp',
    '  mode tcp',
    `  server dev ${backends.temporal}`,
    'backend temporal_h2c',
    '  mode http',
    `  server dev ${backends.temporal} proto h2`,
    'backend bare_h2c',
    '  mode http',
    `  server bare ${backends.bare} proto h2`,
  ];
  return { config: config.join('\n'), ports };
}

/** A TLS reverse proxy in front of each HTTP target port, as a remote dashboard has: one port each. */
export async function httpsReverseProxy(
  certs: Certificates,
  targets: number[],
): Promise<{ config: string; ports: number[] }> {
  const ports = await Promise.all(targets.map(() => freePort()));
  const config = targets.flatMap((target, i) => [
    `frontend https_${i}`,
    '  mode http',
    `  bind 127.0.0.1:${ports[i]} ssl crt ${certs.serverPem}`,
    '  http-request set-header X-Forwarded-Proto https',
    '  http-request set-header X-Forwarded-Host %[req.hdr(host)]',
    `  default_backend app_${i}`,
    `backend app_${i}`,
    '  mode http',
    `  server app 127.0.0.1:${target}`,
  ]);
  return { config: config.join('\n'), ports };
}

/** haproxy in the foreground on `config` (frontends and backends), its log kept; `stop` ends it. */
export class Haproxy {
  private output = '';
  private constructor(private readonly child: ResultPromise) {
    child.all?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  get log(): string {
    return this.output;
  }

  static async start(dir: string, sections: string, listensOn: number): Promise<Haproxy> {
    const config = [
      'global',
      '  log stdout format raw local0 info',
      'defaults',
      '  log global',
      '  timeout connect 5s',
      // Longer than a worker's long poll (~70 s), or the terminator cuts it.
      '  timeout client 5m',
      '  timeout server 5m',
      '  timeout tunnel 1h',
      sections,
      '',
    ].join('\n');
    const file = path.join(dir, `haproxy-${listensOn}.cfg`);
    await writeFile(file, config);
    const check = await execa(HAPROXY, ['-c', '-f', file], { reject: false, all: true });
    if (check.exitCode !== 0) throw new Error(`haproxy refused its config:\n${check.all}`);
    const child = execa(HAPROXY, ['-f', file, '-db'], { reject: false, all: true, stdin: 'ignore', cleanup: true });
    const proxy = new Haproxy(child);
    await waitFor(async () => !(await canListen(listensOn)), 10_000, 'haproxy listening');
    return proxy;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.child;
  }
}
