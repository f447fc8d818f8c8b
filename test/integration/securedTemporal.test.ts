/**
 * A secured Temporal, on real parts: the dev server behind haproxy requiring a client certificate
 * (mTLS), with an API key observed at the terminator, reached through Temporal's own environment
 * configuration (TEMPORAL_* variables and temporal.toml profiles). On 2b7a411 the engine could
 * send neither TLS nor a key: every case here failed to connect.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { freePort } from '../../src/stack/ports.js';
import { findTemporalCli } from '../../src/stack/temporalServer.js';
import { makeDocs, useHarness, waitFor, writeSpec } from '../support/harness.js';
import {
  Haproxy,
  makeCertificates,
  temporalTerminator,
  type Certificates,
  type TerminatorPorts,
} from '../support/tlsTerminator.js';

const h = useHarness();
const API_KEY = 'abk-test-3f9d8c1e-secret-never-printed';
let dir = '';
let certs: Certificates;
let proxy: Haproxy;
let ports: TerminatorPorts;
let bare: ResultPromise;
let cli = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-tls-'));
  certs = await makeCertificates(dir);
  cli = (await findTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null))!;
  const barePort = await freePort();
  // A server as a fresh cluster is: without the engine's search attribute.
  bare = execa(cli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(barePort)], {
    reject: false,
    stdin: 'ignore',
    cleanup: true,
    env: { HOME: dir },
  });
  await waitFor(() => reachable(`127.0.0.1:${barePort}`), 60_000, 'the bare dev server');
  const terminator = await temporalTerminator(certs, {
    temporal: h.stack.temporalAddress,
    bare: `127.0.0.1:${barePort}`,
  });
  ports = terminator.ports;
  proxy = await Haproxy.start(dir, terminator.config, ports.cloudLikeBare);
});

afterAll(async () => {
  await proxy?.stop();
  bare?.kill('SIGTERM');
  await bare;
  await rm(dir, { recursive: true, force: true });
});

async function reachable(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

const mtlsEnv = (port: number, cert = certs.clientCert, key = certs.clientKey): Record<string, string> => ({
  TEMPORAL_ADDRESS: `localhost:${port}`,
  TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
  TEMPORAL_TLS_CLIENT_KEY_PATH: key,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
});

async function runJob(env: Record<string, string>, name: string): Promise<{ status: string; jobId: string }> {
  const docs = await makeDocs(3);
  const spec = await writeSpec(docs, {
    name,
    source: { type: 'files', glob: 'docs/*.md' },
    prompt: 'x',
    testUnits: 0,
    agent: { type: 'command', command: ['sh', '-c', 'echo done'] },
  });
  const r = await h.cli(['run', spec, '--yes', '--json'], { cwd: docs, env });
  if (r.exitCode !== 0) throw new Error(`run exited ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { status: string; jobId: string };
}

describe('the terminator itself (so the engine is not blamed for it)', () => {
  it('lets the Temporal CLI in with the client certificate and keeps it out without', async () => {
    const flags = ['--address', `localhost:${ports.mtls}`, '--tls-ca-path', certs.ca];
    const withCert = await execa(
      cli,
      ['operator', 'namespace', 'describe', '--namespace', 'default', ...flags, '--tls-cert-path', certs.clientCert, '--tls-key-path', certs.clientKey],
      { reject: false, env: { HOME: dir } },
    ); // prettier-ignore
    expect(withCert.stderr).toBe('');
    expect(withCert.exitCode).toBe(0);
    const without = await execa(cli, ['operator', 'namespace', 'describe', '--namespace', 'default', ...flags], {
      reject: false,
      env: { HOME: dir },
    });
    expect(without.exitCode).not.toBe(0);
  });
});

describe('mTLS', () => {
  it('runs a job end to end: the worker and the CLI both through the terminator', async () => {
    const env = mtlsEnv(ports.mtls);
    const worker = await h.startWorker(env);
    expect(worker.log).toContain(`on localhost:${ports.mtls}`);
    const done = await runJob(env, 'over-mtls');
    expect(done.status).toBe('COMPLETED');
    await worker.stop();
  });

  it('reads the same settings from a temporal.toml profile (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE)', async () => {
    const toml = path.join(dir, 'temporal.toml');
    await writeFile(
      toml,
      [
        '[profile.secured]',
        `address = "localhost:${ports.mtls}"`,
        'namespace = "default"',
        '[profile.secured.tls]',
        `client_cert_path = "${certs.clientCert}"`,
        `client_key_path = "${certs.clientKey}"`,
        `server_ca_cert_path = "${certs.ca}"`,
        '',
      ].join('\n'),
    );
    const r = await h.cli(['list', '--json'], {
      env: { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'secured', TEMPORAL_ADDRESS: '' },
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
  });

  it.each([
    [
      'no client certificate',
      () => ({ ...mtlsEnv(ports.mtls), TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' }),
      /\(namespace default, TLS\): TLS handshake refused: the server requires a client certificate and none was sent$/,
    ],
    [
      'a certificate of another CA',
      () => mtlsEnv(ports.mtls, certs.strangerCert, certs.strangerKey),
      /\(namespace default, mTLS\): TLS handshake refused: the server refused the client certificate \(not signed by a CA it trusts\)$/,
    ],
    [
      'plaintext to a TLS port',
      () => ({ TEMPORAL_ADDRESS: `localhost:${ports.mtls}` }),
      /\(namespace default, plaintext\): the server speaks TLS and this connection is plaintext$/,
    ],
  ])('with %s fails in one clear line and a hint, from the CLI and the worker', async (_, env, cause) => {
    const r = await h.cli(['list'], { env: env() });
    expect(r.exitCode).toBe(1);
    const [line, hint, ...rest] = r.stderr.trim().split('\n');
    expect(rest).toEqual([]);
    expect(line).toContain(`error: cannot reach Temporal at localhost:${ports.mtls} `);
    expect(line).toMatch(cause);
    expect(hint).toMatch(/^hint: .*TEMPORAL_TLS/);
    const worker = await h.cli(['worker'], { env: env() });
    expect(worker.exitCode).toBe(1);
    expect(worker.stderr.trim().split('\n')).toEqual([line, hint]);
  });

  it('refuses settings that name a missing certificate file as a usage error, before connecting', async () => {
    const r = await h.cli(['list'], { env: mtlsEnv(ports.mtls, path.join(dir, 'nope.crt')) });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Temporal connection settings: .*nope\.crt/);
  });
});

describe('API key', () => {
  it('is sent as a bearer token on every call of the CLI and the worker, and is never printed or stored', async () => {
    const env = { ...mtlsEnv(ports.mtlsHttp), TEMPORAL_API_KEY: API_KEY };
    const worker = await h.startWorker(env);
    const done = await runJob(env, 'with-api-key');
    expect(done.status).toBe('COMPLETED');
    await worker.stop();

    const requests = proxy.log.split('\n').filter((l) => l.startsWith('request '));
    const polls = requests.filter((l) => l.includes('PollWorkflowTaskQueue'));
    const starts = requests.filter((l) => l.includes('StartWorkflowExecution'));
    expect(polls.length).toBeGreaterThan(0); // the worker's (Rust core)
    expect(starts.length).toBeGreaterThan(0); // the CLI's (grpc-js)
    for (const line of [...polls, ...starts]) expect(line).toContain('authz_count=1 authz_scheme=Bearer');

    const status = await h.cli(['status', done.jobId, '--json'], { env });
    expect(status.stdout + status.stderr + worker.log).not.toContain(API_KEY);
    for (const file of await filesUnder(h.home)) expect(await readFile(file, 'utf8')).not.toContain(API_KEY);
    const stored = await h.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM jobs j WHERE row_to_json(j)::text LIKE $1)
            + (SELECT count(*) FROM units u WHERE row_to_json(u)::text LIKE $1)
            + (SELECT count(*) FROM events e WHERE row_to_json(e)::text LIKE $1) AS n`,
      [`%${API_KEY}%`],
    );
    expect(Number(stored[0]!.n)).toBe(0);
    const history = await (await h.client()).workflow.getHandle(done.jobId).fetchHistory();
    expect(JSON.stringify(history)).not.toContain(API_KEY);
  });
});

describe('a server that does not let the engine register its search attribute (Temporal Cloud)', () => {
  it('starts when the attribute is there (found by a query, the operator API being refused)', async () => {
    const worker = await h.startWorker({ ...mtlsEnv(ports.cloudLike), TEMPORAL_API_KEY: API_KEY });
    await worker.stop();
    expect(proxy.log).toMatch(/request .*OperatorService\/ListSearchAttributes/);
  });

  it('says the command that adds it when it is missing', async () => {
    const r = await h.cli(['worker'], { env: { ...mtlsEnv(ports.cloudLikeBare), TEMPORAL_API_KEY: API_KEY } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('the search attribute AgenticBatchStatus is not registered in namespace default');
    expect(r.stderr).toContain(
      'tcld namespace search-attributes add --namespace default --search-attribute "AgenticBatchStatus=Keyword"',
    );
    expect(r.stderr).not.toContain(API_KEY);
  });
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
