/**
 * The dashboard behind a real TLS reverse proxy (haproxy terminating https, setting
 * X-Forwarded-Proto and X-Forwarded-Host), as a remote setup serves it: with the proxy trusted,
 * the browser's https origin is the dashboard's own (its POSTs act) and the cookie is Secure;
 * without, the forwarded headers are not believed and the same POST is refused. On 2b7a411 every
 * POST through such a proxy was refused and the cookie was never Secure.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDashboard, type TestDashboard } from '../support/dashboard.js';
import { useHarness } from '../support/harness.js';
import { Haproxy, httpsReverseProxy, makeCertificates } from '../support/tlsTerminator.js';

const h = useHarness();
let dir = '';
let ca: Buffer;
let proxy: Haproxy;
let trusted: TestDashboard;
let untrusted: TestDashboard;
let ports: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-dashproxy-'));
  const certs = await makeCertificates(dir);
  ca = await readFile(certs.ca);
  trusted = await startDashboard(h, {}, ['--trusted-proxy', '127.0.0.1']);
  untrusted = await startDashboard(h);
  const config = await httpsReverseProxy(certs, [port(trusted), port(untrusted)]);
  ports = config.ports;
  proxy = await Haproxy.start(dir, config.config, ports[1]!);
});

afterAll(async () => {
  await Promise.allSettled([proxy?.stop(), trusted?.stop(), untrusted?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

function port(d: TestDashboard): number {
  return Number(new URL(d.base).port);
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** A request as the browser sends it to https://localhost:PORT (the proxy). */
function request(proxyPort: number, method: string, route: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: 'localhost', port: proxyPort, method, path: route, headers, ca }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

const cookieOf = (reply: Reply): string => String(reply.headers['set-cookie'] ?? '');

describe('the dashboard behind a TLS reverse proxy', () => {
  it('from a trusted proxy: a Secure cookie, and the https origin may act', async () => {
    const first = await request(ports[0]!, 'GET', `/?token=${trusted.token}`, {});
    expect(first.status).toBe(303);
    expect(cookieOf(first)).toMatch(/agentic_batch_token=.*; HttpOnly; Secure; SameSite=Strict/);
    const cookie = cookieOf(first).split(';')[0]!;
    const act = await request(ports[0]!, 'POST', '/api/jobs/job-none/pause', {
      cookie,
      origin: `https://localhost:${ports[0]}`,
      'content-type': 'application/json',
    });
    // Past the origin check: the job does not exist.
    expect(act.status).toBe(404);
    const forged = await request(ports[0]!, 'POST', '/api/jobs/job-none/pause', {
      cookie,
      origin: 'https://evil.example',
      'content-type': 'application/json',
    });
    expect(forged.status).toBe(403);
  });

  it('from a proxy not configured as trusted: the forwarded headers are not believed', async () => {
    const first = await request(ports[1]!, 'GET', `/?token=${untrusted.token}`, {});
    expect(cookieOf(first)).not.toContain('Secure');
    const act = await request(ports[1]!, 'POST', '/api/jobs/job-none/pause', {
      cookie: cookieOf(first).split(';')[0]!,
      origin: `https://localhost:${ports[1]}`,
      'content-type': 'application/json',
    });
    expect(act.status).toBe(403);
  });

  it('served directly, over http, the cookie stays as it was (not Secure)', async () => {
    const r = await fetch(`${trusted.base}/?token=${trusted.token}`, { redirect: 'manual' });
    expect(r.headers.get('set-cookie')).not.toContain('Secure');
  });
});
